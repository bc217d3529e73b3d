package cost

import (
	"errors"
	"testing"
)

func FuzzParseCatalogue(f *testing.F) {
	f.Add(defaultCatalogueYAML)
	f.Add([]byte(`{"instances": [{"name": "a", "vcpu": 1, "usd_per_hour": 1, "source": "s", "date": "2025"}]}`))
	f.Add([]byte("quantum: {simulators: [{name: s, usd_per_minute: 1, minimum: 3s, source: s, date: '2025'}]}"))
	f.Add([]byte("instances: [{spot_discout: 1}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalogue("fuzz.yaml", data)
		if err != nil {
			var ce *CatalogueError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CatalogueError", err)
			}
			return
		}
		for _, e := range c.Instances {
			if err := e.Type().Validate(); err != nil {
				t.Fatalf("accepted an invalid instance: %v", err)
			}
			if err := e.Price().Validate(); err != nil {
				t.Fatalf("accepted an invalid price: %v", err)
			}
		}
	})
}
