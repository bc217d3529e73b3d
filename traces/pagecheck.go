package traces

import (
	"encoding/binary"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Limits on a single Parquet page. parquet-go decodes a page at a time and
// sizes its buffers from the page header, so a damaged or hostile header
// could make it allocate gigabytes; readers check every page header of the
// columns they use against these limits (and the codec's own size header
// against the page's) before decoding, and reject the file with
// ErrMalformed otherwise. Common writers use pages of about 1 MiB and at
// most a few hundred thousand values.
const (
	maxPageBytes  = 64 << 20 // uncompressed bytes per page
	maxPageValues = 4 << 20  // values per page
)

// maxPageHeader bounds the encoded size of a page header (statistics
// included).
const maxPageHeader = 1 << 20

// readPageHeader decodes the page header at off from a bounded in-memory
// window, growing it as needed up to maxPageHeader, so that lengths in a
// damaged header cannot make the thrift decoder allocate more than the
// window. It returns the header length in bytes. buf is reused.
func readPageHeader(r io.ReaderAt, off, end int64, buf *[]byte, h *format.PageHeader) (int64, error) {
	var protocol thrift.CompactProtocol
	for window := int64(4 << 10); ; window *= 8 {
		w := min(window, end-off, maxPageHeader)
		if int64(cap(*buf)) < w {
			*buf = make([]byte, w)
		}
		b := (*buf)[:w]
		n, err := r.ReadAt(b, off)
		if int64(n) < w && err != nil {
			return 0, err
		}
		*h = format.PageHeader{}
		br := protocol.NewReaderFromBytes(b)
		err = thrift.NewDecoder(br).Decode(h)
		if err == nil {
			if c, ok := br.(interface{ BytesRead() int }); ok {
				return int64(c.BytesRead()), nil
			}
			return 0, errorf(ErrMalformed, "cannot locate the end of the page header")
		}
		if w == end-off || w == maxPageHeader {
			return 0, err
		}
	}
}

// checkChunk walks the page headers of a column chunk and checks them
// against the limits above before parquet-go reads the chunk.
func checkChunk(r io.ReaderAt, size int64, m *format.ColumnMetaData, buf *[]byte) (err error) {
	defer recoverMalformed(&err)
	switch m.Codec {
	case format.Uncompressed, format.Snappy, format.Gzip, format.Zstd, format.Brotli:
	default:
		// LZ4's decoder in parquet-go grows its buffer without bound on
		// corrupt input; LZO is not implemented.
		return errorf(ErrMalformed, "unsupported compression codec %s", m.Codec)
	}
	start := m.DataPageOffset
	if m.DictionaryPageOffset != 0 {
		start = m.DictionaryPageOffset
	}
	end := start + m.TotalCompressedSize
	if start < 4 || m.TotalCompressedSize < 0 || end < start || end > size {
		return errorf(ErrMalformed, "column chunk [%d, %d) outside the file of %d bytes", start, end, size)
	}
	var h format.PageHeader
	for off := start; off < end; {
		hlen, err := readPageHeader(r, off, end, buf, &h)
		if err != nil {
			return errorf(ErrMalformed, "page header at byte %d: %v", off, err)
		}
		body := off + hlen
		switch {
		case h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > end-body:
			return errorf(ErrMalformed, "page at byte %d: compressed size %d overruns its column chunk", off, h.CompressedPageSize)
		case h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes:
			return errorf(ErrMalformed, "page at byte %d: uncompressed size %d outside [0, %d]", off, h.UncompressedPageSize, maxPageBytes)
		}
		levels := int64(0) // uncompressed level bytes before the values (v2)
		compressed := true
		var values int32
		switch {
		case h.DataPageHeader.Valid:
			values = h.DataPageHeader.V.NumValues
		case h.DataPageHeaderV2.Valid:
			v := &h.DataPageHeaderV2.V
			values = max(v.NumValues, v.NumRows)
			if v.RepetitionLevelsByteLength < 0 || v.DefinitionLevelsByteLength < 0 {
				return errorf(ErrMalformed, "page at byte %d: negative level length", off)
			}
			levels = int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
			if levels > int64(h.CompressedPageSize) {
				return errorf(ErrMalformed, "page at byte %d: levels overrun the page", off)
			}
			if v.IsCompressed.Valid && !v.IsCompressed.V {
				compressed = false
			}
		case h.DictionaryPageHeader.Valid:
			values = h.DictionaryPageHeader.V.NumValues
		}
		if values < 0 || values > maxPageValues {
			return errorf(ErrMalformed, "page at byte %d: %d values outside [0, %d]", off, values, maxPageValues)
		}
		if compressed && (m.Codec == format.Snappy || m.Codec == format.Zstd) {
			var head [18]byte
			n, _ := r.ReadAt(head[:min(int64(len(head)), int64(h.CompressedPageSize)-levels)], body+levels)
			if decoded, ok := decodedSize(m.Codec, head[:n]); ok && decoded > uint64(h.UncompressedPageSize) {
				return errorf(ErrMalformed, "page at byte %d: %s data claims %d bytes, page header %d", off, m.Codec, decoded, h.UncompressedPageSize)
			}
		}
		off = body + int64(h.CompressedPageSize)
	}
	return nil
}

// decodedSize reads the decompressed size that a Snappy block or a Zstandard
// frame header announces, if it announces one.
func decodedSize(codec format.CompressionCodec, b []byte) (uint64, bool) {
	switch codec {
	case format.Snappy:
		v, n := binary.Uvarint(b)
		return v, n > 0
	case format.Zstd:
		if len(b) < 5 || binary.LittleEndian.Uint32(b) != 0xFD2FB528 {
			return 0, false
		}
		fhd := b[4]
		single := fhd&0x20 != 0
		pos := 5
		if !single {
			pos++ // window descriptor
		}
		pos += []int{0, 1, 2, 4}[fhd&3] // dictionary ID
		size := []int{0, 2, 4, 8}[fhd>>6]
		if size == 0 && single {
			size = 1
		}
		if size == 0 || pos+size > len(b) {
			return 0, false
		}
		var v uint64
		for i := size - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[pos+i])
		}
		if size == 2 {
			v += 256
		}
		return v, true
	}
	return 0, false
}
