package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html/template"
	"image/png"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleRun() Run {
	return Run{Summary: sample(), Timelines: sampleTimelines(), Settings: []Setting{{"budget", "2 USD/h"}}}
}

// The golden page has each image replaced by a hash of its bytes, so it
// checks the markup and not the rasteriser; the plots have golden images
// of their own.
func TestHTMLGolden(t *testing.T) {
	run := sampleRun()
	figs := []Figure{{Title: "Demand vs capacity", File: "demand-vs-capacity.png", PNG: []byte("png 1")}, {Title: "Spend", File: "spend-vs-slo.png", PNG: []byte("png 2")}}
	var b bytes.Buffer
	err := writeHTML(&b, run, figs, func(p []byte) template.URL {
		return template.URL(fmt.Sprintf("data:image/png;base64,sha256-%x", sha256.Sum256(p)))
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.html", b.Bytes())
}

// htmlDoc is what checkHTML finds in a page.
type htmlDoc struct {
	rowHeads map[string][]string // table class → the row headers, in order
	images   [][]byte            // the decoded data URIs of the img elements
	text     string
}

// checkHTML parses page as HTML, failing on malformed markup and on any
// reference to another file or site.
func checkHTML(t *testing.T, page []byte) htmlDoc {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "http://", "https://", "url("} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("page contains %q: it must not need anything outside itself", bad)
		}
	}
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	doc := htmlDoc{rowHeads: map[string][]string{}}
	var stack []string
	table := ""
	inRowHead := false
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report.html does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Name.Local] = a.Value
			}
			switch tok.Name.Local {
			case "table":
				table = attr["class"]
			case "th":
				if attr["scope"] == "row" {
					inRowHead = true
					doc.rowHeads[table] = append(doc.rowHeads[table], "")
				}
			case "img":
				src, ok := strings.CutPrefix(attr["src"], "data:image/png;base64,")
				if !ok {
					t.Errorf("img src %.40q is not an inline PNG", attr["src"])
				}
				b, _ := base64.StdEncoding.DecodeString(src)
				doc.images = append(doc.images, b)
				if attr["alt"] == "" {
					t.Error("img without alt text")
				}
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			if tok.Name.Local == "th" {
				inRowHead = false
			}
			stack = stack[:max(0, len(stack)-1)]
		case xml.CharData:
			text.Write(tok)
			if inRowHead {
				h := doc.rowHeads[table]
				h[len(h)-1] += string(tok)
			}
		}
	}
	doc.text = text.String()
	return doc
}

func TestHTMLHasEveryPolicyAndPlot(t *testing.T) {
	run := sampleRun()
	// Names that need escaping stay text.
	run.Summary.Policies[0].Name = `<b>"thr" & co</b>`
	run.Timelines[0].Policy = run.Summary.Policies[0].Name
	figs, err := Figures(run)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, run, figs); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("<b>")) {
		t.Error("a policy name went into the page unescaped")
	}
	doc := checkHTML(t, b.Bytes())
	var names []string
	for _, p := range run.Summary.Policies {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff(names, doc.rowHeads["scores"]); diff != "" {
		t.Errorf("policies in the scores table (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"predictive"}, doc.rowHeads["forecasts"]); diff != "" {
		t.Errorf("policies in the forecast table (-want +got):\n%s", diff)
	}
	for _, s := range []string{"scenario", "web-diurnal", "seed", "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z", "10 s", "budget", "2 USD/h", "175.36", "26.8"} {
		if !strings.Contains(doc.text, s) {
			t.Errorf("page text lacks %q", s)
		}
	}
	// demand, one forecast (predictive), spend, SLO misses, scatter.
	if len(doc.images) != 5 || len(figs) != 5 {
		t.Fatalf("%d images for %d figures, want 5", len(doc.images), len(figs))
	}
	for i, img := range doc.images {
		if !bytes.Equal(img, figs[i].PNG) {
			t.Errorf("image %d is not %s", i, figs[i].File)
		}
		if _, err := png.Decode(bytes.NewReader(img)); err != nil {
			t.Errorf("image %d: %v", i, err)
		}
	}
}
