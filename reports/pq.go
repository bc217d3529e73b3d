package reports

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/bits"
	"unsafe"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// This file is a small Parquet encoder for timeline.parquet's fixed,
// flat schema: every column is a leaf of the root, required or optional
// (definition level 0 or 1), never repeated. Pages are data pages v1,
// values PLAIN, DELTA_BINARY_PACKED (int64) or BYTE_STREAM_SPLIT
// (double), or for a column of one string a dictionary of it and RLE
// runs of its index; definition levels in the RLE/bit-packed hybrid, and
// every page SNAPPY-compressed. Going through parquet-go's
// generic row writer cost 300–400 ns of CPU per step, most of it
// shredding rows into values one by one; here a page's values are
// already in typed slices, compressed where they lie. Page headers and
// the footer are serialized with parquet-go's thrift encoder and format
// structs.

// pqPageRows is the number of rows in a data page: 128 KiB of an 8-byte
// column, small enough for readers to skip pages, large enough that a
// page's header and compression cost little per value.
const pqPageRows = 16 << 10

type pqKind uint8

const (
	pqInt64 pqKind = iota
	pqDouble
	pqBool
	pqString
)

// pqColumn is one leaf of the schema.
type pqColumn struct {
	name     string
	kind     pqKind
	optional bool
	// logical is the column's logical type, if any; converted its
	// deprecated converted type, if it has one.
	logical   format.LogicalTypeValue
	converted deprecated.ConvertedType
	hasConv   bool
	// enc is the encoding of the values: PLAIN (the zero value),
	// DELTA_BINARY_PACKED (int64) or BYTE_STREAM_SPLIT (double).
	enc format.Encoding
}

func (c *pqColumn) physical() format.Type {
	switch c.kind {
	case pqInt64:
		return format.Int64
	case pqDouble:
		return format.Double
	case pqBool:
		return format.Boolean
	}
	return format.ByteArray
}

// pqSchema is the footer's schema of columns under a root group.
func pqSchema(root string, cols []pqColumn) []format.SchemaElement {
	s := []format.SchemaElement{{Name: root, NumChildren: thrift.New(int32(len(cols)))}}
	for _, c := range cols {
		rep := format.Required
		if c.optional {
			rep = format.Optional
		}
		e := format.SchemaElement{Name: c.name, Type: thrift.New(c.physical()), RepetitionType: thrift.New(rep)}
		e.LogicalType.Value = c.logical
		if c.hasConv {
			e.ConvertedType = thrift.New(c.converted)
		}
		s = append(s, e)
	}
	return s
}

// pqEncoder holds the scratch buffers for encoding pages; it is not safe
// for concurrent use.
type pqEncoder struct {
	body   []byte // a page uncompressed: levels then values
	plain  []byte // values PLAIN, on big-endian machines
	split  []byte // values BYTE_STREAM_SPLIT or DELTA_BINARY_PACKED
	comp   []byte
	hdr    bytes.Buffer
	thrift *thrift.Encoder
	header format.PageHeader
	free   [][]byte // blocks for pqBlocks
}

func newPQEncoder() *pqEncoder {
	e := &pqEncoder{comp: make([]byte, s2.MaxEncodedLen(pqPageRows*8+pqPageRows/4+64))}
	e.thrift = thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&e.hdr))
	return e
}

// pqChunk collects one column's pages of the row group being written,
// compressed with their headers, and the column's statistics.
type pqChunk struct {
	enc          format.Encoding // of the values, as in pqColumn
	buf          pqBlocks
	uncompressed int64 // bytes of the pages uncompressed, headers included
	values       int64 // values, nulls included
	nulls        int64
	pages        int32 // data pages
	dictLen      int64 // bytes of the dictionary page, header included, at the start of buf; 0 if none
	// Statistics of the non-null values: min/max as int64 (pqInt64 and
	// pqBool) or float64 (pqDouble), valid when count > 0. pqString
	// columns hold one value, the string below.
	count      int64
	minI, maxI int64
	minF, maxF float64
	str        string
}

// reset empties c, once buf is written, for the next row group.
func (c *pqChunk) reset() {
	*c = pqChunk{enc: c.enc, buf: pqBlocks{blocks: c.buf.blocks[:0]}, str: c.str}
}

// pqBlockSize is the size of the blocks that hold a column chunk's pages.
const pqBlockSize = 64 << 10

// pqBlocks holds bytes in blocks of pqBlockSize taken from a free list
// that a sink's chunks share: a chunk never grows by copying itself into
// a larger array, which would leave the smaller ones for the garbage
// collector, and the memory held is about what the row group's compressed
// pages take.
type pqBlocks struct {
	blocks [][]byte
	n      int64 // bytes held
}

func (b *pqBlocks) write(p []byte, free *[][]byte) {
	b.n += int64(len(p))
	for len(p) > 0 {
		if k := len(b.blocks); k == 0 || len(b.blocks[k-1]) == pqBlockSize {
			var blk []byte
			if f := *free; len(f) > 0 {
				blk, *free = f[len(f)-1][:0], f[:len(f)-1]
			} else {
				blk = make([]byte, 0, pqBlockSize)
			}
			b.blocks = append(b.blocks, blk)
		}
		last := &b.blocks[len(b.blocks)-1]
		m := min(len(p), pqBlockSize-len(*last))
		*last = append(*last, p[:m]...)
		p = p[m:]
	}
}

// writeTo writes the bytes held to w and returns the blocks to free.
func (b *pqBlocks) writeTo(w io.Writer, free *[][]byte) error {
	for _, blk := range b.blocks {
		if _, err := w.Write(blk); err != nil {
			return err
		}
	}
	*free = append(*free, b.blocks...)
	clear(b.blocks)
	b.blocks, b.n = b.blocks[:0], 0
	return nil
}

// grow returns b resized to n bytes, reallocating only when too small.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n, n+n/4)
	}
	return b[:n]
}

// levels starts e.body with the definition levels of n values whose
// bits (1: present) are def, LSB first, prefixed with their byte length
// as data pages v1 have them: one RLE run when all values are present or
// all null, else bit-packed runs of at most 63 groups of 8 (one byte of
// run header, as Arrow's encoder writes them).
func (e *pqEncoder) levels(def []byte, n, present int) {
	b := append(e.body[:0], 0, 0, 0, 0)
	switch present {
	case n, 0:
		b = binary.AppendUvarint(b, uint64(n)<<1)
		if present == n {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	default:
		bits := def[:(n+7)/8]
		for len(bits) > 0 {
			g := min(len(bits), 63)
			b = append(b, byte(g<<1|1))
			b = append(b, bits[:g]...)
			bits = bits[g:]
		}
		if n%8 != 0 { // clear the padding bits of the last group
			b[len(b)-1] &= byte(1)<<(n%8) - 1
		}
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4))
	e.body = b
}

// pqLittleEndian is whether int64s and float64s are laid out in memory
// as PLAIN has them, so a page of them is compressed where it lies.
var pqLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// pqPlain returns the 8-byte values x PLAIN (little-endian): x's own
// memory where that is how it is laid out, else encoded into e.plain.
func pqPlain[T int64 | float64](e *pqEncoder, x []T) []byte {
	if pqLittleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x))), 8*len(x))
	}
	b := grow(e.plain, 8*len(x))
	for i, v := range x {
		switch v := any(v).(type) {
		case int64:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		case float64:
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
	}
	e.plain = b
	return b
}

// pqSplit returns the doubles x BYTE_STREAM_SPLIT: the first bytes
// (little-endian) of every value, then the second bytes, and so on. Bytes
// of the same significance vary alike, so the streams compress better
// than PLAIN's interleaving of them.
func pqSplit(e *pqEncoder, x []float64) []byte {
	n := len(x)
	b := grow(e.split, 8*n)
	const m32, m16, m8 = 0x00000000ffffffff, 0x0000ffff0000ffff, 0x00ff00ff00ff00ff
	i := 0
	for ; i+8 <= n; i += 8 {
		// Transpose the 8×8 bytes of x[i:i+8]: r[k] becomes byte k of
		// each value, swapping 4×4, then 2×2, then 1×1 blocks.
		v := x[i : i+8 : i+8]
		r0, r1, r2, r3 := math.Float64bits(v[0]), math.Float64bits(v[1]), math.Float64bits(v[2]), math.Float64bits(v[3])
		r4, r5, r6, r7 := math.Float64bits(v[4]), math.Float64bits(v[5]), math.Float64bits(v[6]), math.Float64bits(v[7])
		r0, r4 = r0&m32|r4<<32, r0>>32|r4&^m32
		r1, r5 = r1&m32|r5<<32, r1>>32|r5&^m32
		r2, r6 = r2&m32|r6<<32, r2>>32|r6&^m32
		r3, r7 = r3&m32|r7<<32, r3>>32|r7&^m32
		r0, r2 = r0&m16|(r2&m16)<<16, (r0>>16)&m16|r2&^m16
		r1, r3 = r1&m16|(r3&m16)<<16, (r1>>16)&m16|r3&^m16
		r4, r6 = r4&m16|(r6&m16)<<16, (r4>>16)&m16|r6&^m16
		r5, r7 = r5&m16|(r7&m16)<<16, (r5>>16)&m16|r7&^m16
		r0, r1 = r0&m8|(r1&m8)<<8, (r0>>8)&m8|r1&^m8
		r2, r3 = r2&m8|(r3&m8)<<8, (r2>>8)&m8|r3&^m8
		r4, r5 = r4&m8|(r5&m8)<<8, (r4>>8)&m8|r5&^m8
		r6, r7 = r6&m8|(r7&m8)<<8, (r6>>8)&m8|r7&^m8
		le := binary.LittleEndian
		le.PutUint64(b[i:], r0)
		le.PutUint64(b[n+i:], r1)
		le.PutUint64(b[2*n+i:], r2)
		le.PutUint64(b[3*n+i:], r3)
		le.PutUint64(b[4*n+i:], r4)
		le.PutUint64(b[5*n+i:], r5)
		le.PutUint64(b[6*n+i:], r6)
		le.PutUint64(b[7*n+i:], r7)
	}
	for ; i < n; i++ {
		u := math.Float64bits(x[i])
		for k := range 8 {
			b[k*n+i] = byte(u >> (8 * k))
		}
	}
	e.split = b
	return b
}

// pqDeltaBlock is DELTA_BINARY_PACKED's block: 4 miniblocks of 32 values.
const pqDeltaBlock = 128

// pqDelta returns x DELTA_BINARY_PACKED: the count and first value, then
// blocks of 128 differences between consecutive values, each block the
// least difference and, per miniblock of 32, the bit width and the
// bit-packed differences less that least. A step's time advancing by
// one step length packs into 0 bits.
func pqDelta(e *pqEncoder, x []int64) []byte {
	b := e.split[:0]
	b = binary.AppendUvarint(b, pqDeltaBlock)
	b = binary.AppendUvarint(b, pqDeltaBlock/32)
	b = binary.AppendUvarint(b, uint64(len(x)))
	if len(x) == 0 {
		e.split = binary.AppendVarint(b, 0)
		return e.split
	}
	b = binary.AppendVarint(b, x[0])
	var d [pqDeltaBlock]uint64
	for i := 1; i < len(x); i += pqDeltaBlock {
		blk := x[i-1 : min(i+pqDeltaBlock, len(x))] // the values before each delta too
		n := len(blk) - 1
		least := blk[1] - blk[0]
		for j := 1; j <= n; j++ {
			least = min(least, blk[j]-blk[j-1])
		}
		clear(d[n:])
		for j := range n {
			d[j] = uint64(blk[j+1] - blk[j] - least) // wraps as the spec has it
		}
		b = binary.AppendVarint(b, least)
		var widths [4]uint8
		for m := range widths {
			if 32*m >= n {
				break // unneeded miniblocks: width 0, no bytes
			}
			var or uint64
			for _, v := range d[32*m : 32*m+32] {
				or |= v
			}
			widths[m] = uint8(bits.Len64(or))
		}
		b = append(b, widths[:]...)
		for m, w := range widths {
			if 32*m < n {
				b = pqPack(b, (*[32]uint64)(d[32*m:32*m+32]), uint(w))
			}
		}
	}
	e.split = b
	return b
}

// pqPack appends the 32 values v, each w bits wide, bit-packed LSB first:
// 4w bytes.
func pqPack(b []byte, v *[32]uint64, w uint) []byte {
	if w == 0 {
		return b
	}
	var acc uint64
	var n uint // bits in acc, < 64
	for _, x := range v {
		acc |= x << n
		if n+w >= 64 {
			b = binary.LittleEndian.AppendUint64(b, acc)
			acc = x >> (64 - n) // 0 when n is 0: x went whole
			n += w - 64
		} else {
			n += w
		}
	}
	for ; n > 0; n -= 8 { // 32w bits: n is 0 or 32 here
		b = append(b, byte(acc))
		acc >>= 8
	}
	return b
}

// int64s adds vals to c's statistics.
func (c *pqChunk) int64s(vals []int64) {
	if len(vals) == 0 {
		return
	}
	mn, mx := vals[0], vals[0]
	if c.count > 0 {
		mn, mx = c.minI, c.maxI
	}
	for _, v := range vals {
		mn = min(mn, v)
		mx = max(mx, v)
	}
	c.minI, c.maxI = mn, mx
	c.count += int64(len(vals))
}

// float64s adds vals, except NaNs, to c's statistics.
func (c *pqChunk) float64s(vals []float64) {
	mn, mx := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v < mn { // false for NaN
			mn = v
		}
		if v > mx {
			mx = v
		}
	}
	if mn > mx { // no values but NaNs
		return
	}
	if c.count > 0 {
		mn, mx = min(mn, c.minF), max(mx, c.maxF)
	}
	c.minF, c.maxF = mn, mx
	c.count += int64(len(vals))
}

// bools appends n booleans, PLAIN (bit-packed, LSB first), from the
// bitmap bits to e.body, and adds them to c's statistics.
func (e *pqEncoder) bools(c *pqChunk, bits []byte, n int) {
	nb := (n + 7) / 8
	off := len(e.body)
	b := append(e.body, bits[:nb]...)
	if n%8 != 0 {
		b[len(b)-1] &= byte(1)<<(n%8) - 1
	}
	mn, mx := c.minI, c.maxI
	if c.count == 0 {
		mn, mx = 1, 0
	}
	for _, x := range b[off : off+n/8] {
		if x != 0 {
			mx = 1
		}
		if x != 0xff {
			mn = 0
		}
	}
	for i := n &^ 7; i < n; i++ {
		v := int64(bits[i>>3] >> (i & 7) & 1)
		mn, mx = min(mn, v), max(mx, v)
	}
	c.minI, c.maxI = mn, mx
	c.count += int64(n)
	e.body = b
}

// constant adds a page of n copies of s to c, dictionary-encoded: the
// chunk's first page is preceded by the dictionary, s alone, and each
// data page is one RLE run of index 0.
func (e *pqEncoder) constant(c *pqChunk, s string, n int) error {
	if c.pages == 0 {
		e.body = binary.LittleEndian.AppendUint32(e.body[:0], uint32(len(s)))
		e.body = append(e.body, s...)
		h := format.PageHeader{Type: format.DictionaryPage}
		h.DictionaryPageHeader = thrift.New(format.DictionaryPageHeader{NumValues: 1, Encoding: format.Plain})
		if err := e.add(c, &h, e.body); err != nil {
			return err
		}
		c.dictLen = c.buf.n
		c.str = s
	}
	// Bit width 1 (0 would do, but not every reader takes it), then the
	// run's header and its value in one byte.
	e.body = append(e.body[:0], 1)
	e.body = binary.AppendUvarint(e.body, uint64(n)<<1)
	e.body = append(e.body, 0)
	c.count += int64(n)
	return e.page(c, e.body, n, 0)
}

// page compresses body, the page of n values of which nulls are null,
// and adds it with its header to c.
func (e *pqEncoder) page(c *pqChunk, body []byte, n, nulls int) error {
	enc := c.enc
	if c.dictLen > 0 {
		enc = format.RLEDictionary
	}
	h := &e.header
	*h = format.PageHeader{Type: format.DataPage}
	h.DataPageHeader = thrift.New(format.DataPageHeader{
		NumValues: int32(n), Encoding: enc,
		DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.RLE,
		Statistics: format.Statistics{NullCount: int64(nulls)},
	})
	if err := e.add(c, h, body); err != nil {
		return err
	}
	c.values += int64(n)
	c.nulls += int64(nulls)
	c.pages++
	return nil
}

// add compresses body and adds it to c after h, completed with its sizes.
func (e *pqEncoder) add(c *pqChunk, h *format.PageHeader, body []byte) error {
	e.comp = s2.EncodeSnappy(e.comp[:cap(e.comp)], body)
	h.UncompressedPageSize, h.CompressedPageSize = int32(len(body)), int32(len(e.comp))
	e.hdr.Reset()
	if err := e.thrift.Encode(h); err != nil {
		return err
	}
	c.buf.write(e.hdr.Bytes(), &e.free)
	c.buf.write(e.comp, &e.free)
	c.uncompressed += int64(e.hdr.Len() + len(body))
	return nil
}

// meta is the metadata of c written at offset in the file.
func (c *pqChunk) meta(col *pqColumn, offset int64) format.ColumnChunk {
	encodings := []format.Encoding{c.enc}
	stats := []format.PageEncodingStats{{PageType: format.DataPage, Encoding: c.enc, Count: c.pages}}
	if col.optional {
		encodings = append(encodings, format.RLE)
	}
	var dictOffset int64
	if c.dictLen > 0 {
		encodings = append(encodings, format.RLEDictionary)
		stats = []format.PageEncodingStats{
			{PageType: format.DictionaryPage, Encoding: format.Plain, Count: 1},
			{PageType: format.DataPage, Encoding: format.RLEDictionary, Count: c.pages}}
		dictOffset = offset
	}
	st := format.Statistics{NullCount: c.nulls}
	if c.count > 0 {
		switch col.kind {
		case pqInt64:
			st.MinValue = binary.LittleEndian.AppendUint64(nil, uint64(c.minI))
			st.MaxValue = binary.LittleEndian.AppendUint64(nil, uint64(c.maxI))
		case pqDouble:
			mn, mx := c.minF, c.maxF
			if mn == 0 { // the spec's rule for zeros: -0 as the min, +0 as the max
				mn = math.Copysign(0, -1)
			}
			if mx == 0 {
				mx = 0
			}
			st.MinValue = binary.LittleEndian.AppendUint64(nil, math.Float64bits(mn))
			st.MaxValue = binary.LittleEndian.AppendUint64(nil, math.Float64bits(mx))
		case pqBool:
			st.MinValue, st.MaxValue = []byte{byte(c.minI)}, []byte{byte(c.maxI)}
		case pqString:
			st.MinValue, st.MaxValue = []byte(c.str), []byte(c.str)
		}
	}
	return format.ColumnChunk{
		FileOffset: offset,
		MetaData: format.ColumnMetaData{
			Type: col.physical(), Encoding: encodings, PathInSchema: []string{col.name},
			Codec: format.Snappy, NumValues: c.values,
			TotalUncompressedSize: c.uncompressed, TotalCompressedSize: c.buf.n,
			DataPageOffset: offset + c.dictLen, DictionaryPageOffset: dictOffset, Statistics: st,
			EncodingStats: stats,
		},
	}
}

// pqFooter returns the file's footer: its metadata, their length and the
// closing magic number. The row groups' offsets must be final.
func pqFooter(schema []format.SchemaElement, rowGroups []format.RowGroup, createdBy string) ([]byte, error) {
	md := format.FileMetaData{Version: 2, Schema: schema, RowGroups: rowGroups, CreatedBy: createdBy}
	for i := range rowGroups {
		md.NumRows += rowGroups[i].NumRows
	}
	for range len(schema) - 1 {
		md.ColumnOrders = append(md.ColumnOrders, format.ColumnOrder{Value: new(format.TypeDefinedOrder)})
	}
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		return nil, err
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(b)))
	return append(b, pqMagic...), nil
}

const pqMagic = "PAR1"
