package traces

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func TestParquetCodecs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codec parquet.WriterOption
		ok    bool
	}{
		{"snappy", parquet.Compression(&parquet.Snappy), true},
		{"zstd", parquet.Compression(&parquet.Zstd), true},
		{"gzip", parquet.Compression(&parquet.Gzip), true},
		{"uncompressed", parquet.Compression(&parquet.Uncompressed), true},
		{"lz4", parquet.Compression(&parquet.Lz4Raw), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := parquet.NewWriter(&buf, newOrderedSchema("t", []string{"timestamp", "v"},
				[]parquet.Node{timestampNode(), parquet.Leaf(parquet.DoubleType)}), tc.codec)
			rows := make([]parquet.Row, 5000)
			for i := range rows {
				rows[i] = parquet.Row{parquet.Int64Value(int64(i)*1e9).Level(0, 0, 0), parquet.DoubleValue(float64(i%7)).Level(0, 0, 1)}
			}
			if _, err := w.WriteRows(rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := openParquetBytes(buf.Bytes(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(r)
			if !tc.ok {
				wantParseError(t, err, ErrMalformed, 0, 1, "")
				return
			}
			if err != nil || len(got) != len(rows) {
				t.Fatalf("read %d rows, %v; want %d rows", len(got), err, len(rows))
			}
		})
	}
}

func TestDecodedSize(t *testing.T) {
	for _, tc := range []struct {
		codec format.CompressionCodec
		head  []byte
		want  uint64
		ok    bool
	}{
		{format.Snappy, []byte{0xAC, 0x02, 0x00}, 300, true},
		{format.Snappy, nil, 0, false},
		{format.Zstd, []byte{0x28, 0xB5, 0x2F, 0xFD, 0xA0, 0x00, 0x10, 0x00, 0x00}, 4096, true}, // single segment, 4-byte size
		{format.Zstd, []byte{0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x07}, 7, true},                      // single segment, 1-byte size
		{format.Zstd, []byte{0x28, 0xB5, 0x2F, 0xFD, 0x40, 0x58, 0x01, 0x00}, 257, true},        // window byte, 2-byte size + 256
		{format.Zstd, []byte{0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x58}, 0, false},                     // no size
		{format.Zstd, []byte{1, 2, 3, 4, 5, 6}, 0, false},
	} {
		got, ok := decodedSize(tc.codec, tc.head)
		if got != tc.want || ok != tc.ok {
			t.Errorf("decodedSize(%v, % x) = %d, %v; want %d, %v", tc.codec, tc.head, got, ok, tc.want, tc.ok)
		}
	}
}
