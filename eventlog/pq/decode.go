package pq

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/ballast-bench/ballast/eventlog"
)

// This file decodes the column chunks of an events file directly from the
// file's bytes: page headers (Thrift compact protocol), DELTA_BINARY_PACKED
// and PLAIN integers, RLE_DICTIONARY and PLAIN strings, any codec parquet-go
// has. parquet-go still parses the footer and decompresses pages;
// everything else reuses buffers from file to file. The libraries' page
// and column readers make the whole analysis 1.3-2.9x slower, in setup
// and garbage per file and in decoding per event; see BENCHMARKS.md, "The
// events reader" and "Parquet on parquet-go".
//
// Reader.Scan only takes this path for files whose metadata it covers
// (directChunks); anything else (encrypted columns, other encodings, nested
// or optional columns) goes through parquet-go's page reader.

// Parquet format constants (parquet.thrift).
const (
	encPlain          = 0
	encPlainDict      = 2
	encRLE            = 3
	encBitPacked      = 4
	encDeltaBinary    = 5
	encRLEDict        = 8
	pageData          = 0
	pageDict          = 2
	pageDataV2        = 3
	maxThriftDepth    = 32
	maxDictionarySize = 1 << 20  // entries; a dictionary is the kind list or one run ID
	maxPageSize       = 16 << 20 // bytes uncompressed; writers use ~1 MiB or less
)

var errCorrupt = errors.New("corrupt page data")

// thriftReader reads the Thrift compact protocol.
type thriftReader struct {
	b   []byte
	pos int
	err error
}

func (r *thriftReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *thriftReader) byte() byte {
	if r.pos >= len(r.b) {
		r.fail(errCorrupt)
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *thriftReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b[min(r.pos, len(r.b)):])
	if n <= 0 {
		r.fail(errCorrupt)
		return 0
	}
	r.pos += n
	return v
}

func (r *thriftReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// i32 reads an integer field of compact type typ as an int32.
func (r *thriftReader) i32(typ byte) int32 {
	if typ != 5 && typ != 4 && typ != 3 {
		r.fail(fmt.Errorf("page header: integer field has type %d", typ))
		return 0
	}
	if typ == 3 {
		return int32(int8(r.byte()))
	}
	v := r.varint()
	if v != int64(int32(v)) {
		r.fail(errCorrupt)
	}
	return int32(v)
}

// field reads a field header; stop is true at the end of a struct.
func (r *thriftReader) field(last *int16) (id int16, typ byte, stop bool) {
	h := r.byte()
	if h == 0 || r.err != nil {
		return 0, 0, true
	}
	typ = h & 0x0f
	if d := h >> 4; d != 0 {
		id = *last + int16(d)
	} else {
		id = int16(r.varint())
	}
	*last = id
	return id, typ, false
}

// skip skips a value of compact type typ.
func (r *thriftReader) skip(typ byte, depth int) {
	if depth > maxThriftDepth {
		r.fail(errCorrupt)
		return
	}
	switch typ {
	case 1, 2: // bool in a field header
	case 3:
		r.byte()
	case 4, 5, 6:
		r.uvarint()
	case 7:
		r.pos += 8
	case 8:
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			r.fail(errCorrupt)
			return
		}
		r.pos += int(n)
	case 9, 10:
		h := r.byte()
		n, et := uint64(h>>4), h&0x0f
		if n == 15 {
			n = r.uvarint()
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			if et == 1 || et == 2 {
				r.byte() // list elements of type bool take a byte each
			} else {
				r.skip(et, depth+1)
			}
		}
	case 11:
		n := r.uvarint()
		if n == 0 {
			break
		}
		kv := r.byte()
		for i := uint64(0); i < n && r.err == nil; i++ {
			for _, t := range [2]byte{kv >> 4, kv & 0x0f} {
				if t == 1 || t == 2 {
					r.byte()
				} else {
					r.skip(t, depth+1)
				}
			}
		}
	case 12:
		var last int16
		for r.err == nil {
			_, t, stop := r.field(&last)
			if stop {
				break
			}
			r.skip(t, depth+1)
		}
	default:
		r.fail(errCorrupt)
	}
	if r.pos > len(r.b) {
		r.fail(errCorrupt)
	}
}

// pageHeader is what the decoder needs of a Parquet PageHeader.
type pageHeader struct {
	typ                      int32
	uncompressed, compressed int32
	numValues, numNulls      int32
	encoding                 int32
	defLen, repLen           int32 // V2: level bytes before the values
	valuesCompressed         bool  // V2 is_compressed (default true)
}

// parsePageHeader parses the page header at the start of b and returns its
// length.
func parsePageHeader(b []byte, h *pageHeader) (int, error) {
	*h = pageHeader{typ: -1, uncompressed: -1, compressed: -1, numValues: -1, encoding: -1, valuesCompressed: true}
	r := thriftReader{b: b}
	var last int16
	for r.err == nil {
		id, t, stop := r.field(&last)
		if stop {
			break
		}
		switch id {
		case 1:
			h.typ = r.i32(t)
		case 2:
			h.uncompressed = r.i32(t)
		case 3:
			h.compressed = r.i32(t)
		case 5, 7, 8: // data page, dictionary page, data page V2 headers
			if t != 12 {
				r.fail(errCorrupt)
				break
			}
			var last int16
			for r.err == nil {
				fid, ft, stop := r.field(&last)
				if stop {
					break
				}
				switch {
				case fid == 1:
					h.numValues = r.i32(ft)
				case fid == 2 && id == 8:
					h.numNulls = r.i32(ft)
				case fid == 2, fid == 4 && id == 8:
					h.encoding = r.i32(ft)
				case fid == 5 && id == 8:
					h.defLen = r.i32(ft)
				case fid == 6 && id == 8:
					h.repLen = r.i32(ft)
				case fid == 7 && id == 8:
					h.valuesCompressed = ft == 1
					r.skip(ft, 1)
				default:
					r.skip(ft, 1)
				}
			}
		default:
			r.skip(t, 0)
		}
	}
	if r.err != nil {
		return 0, fmt.Errorf("page header: %w", r.err)
	}
	if h.typ < 0 || h.uncompressed < 0 || h.compressed < 0 {
		return 0, fmt.Errorf("page header: %w", errCorrupt)
	}
	return r.pos, nil
}

// deltaDecoder decodes DELTA_BINARY_PACKED values across calls to read.
type deltaDecoder struct {
	data      []byte
	pos       int // next block header or miniblock
	perBlock  int
	nMini     int
	perMini   int
	left      int  // values of the page not yet returned
	first     bool // the first value (in the header) is not yet returned
	last      uint64
	minDelta  uint64
	widths    int // offset of the current block's miniblock bit widths
	mini      int // current miniblock in the block; nMini: none
	miniWidth uint
	miniUsed  int // values of the current miniblock returned (at pos)
}

func (d *deltaDecoder) init(data []byte, numValues int) error {
	r := thriftReader{b: data} // only its varints
	perBlock, nMini, total := r.uvarint(), r.uvarint(), r.uvarint()
	first := r.varint()
	switch {
	case r.err != nil:
		return fmt.Errorf("DELTA_BINARY_PACKED header: %w", r.err)
	case perBlock == 0 || nMini == 0 || perBlock > 1<<20 || perBlock%nMini != 0 || (perBlock/nMini)%8 != 0:
		return fmt.Errorf("DELTA_BINARY_PACKED header: block of %d values in %d miniblocks", perBlock, nMini)
	case total < uint64(numValues):
		return fmt.Errorf("DELTA_BINARY_PACKED: %d values in a page of %d", total, numValues)
	}
	*d = deltaDecoder{
		data: data, pos: r.pos, perBlock: int(perBlock), nMini: int(nMini), perMini: int(perBlock / nMini),
		left: numValues, first: true, last: uint64(first), mini: int(nMini),
	}
	d.miniUsed = d.perMini
	return nil
}

// nextMini moves to the next miniblock, reading a block header if needed.
func (d *deltaDecoder) nextMini() error {
	if d.mini+1 < d.nMini {
		d.pos += d.perMini * int(d.miniWidth) / 8
		d.mini++
	} else {
		if d.mini < d.nMini { // after the last miniblock of a block
			d.pos += d.perMini * int(d.miniWidth) / 8
		}
		r := thriftReader{b: d.data, pos: d.pos}
		d.minDelta = uint64(r.varint())
		if r.err != nil || r.pos+d.nMini > len(d.data) {
			return fmt.Errorf("DELTA_BINARY_PACKED block: %w", errCorrupt)
		}
		d.widths = r.pos
		d.pos = r.pos + d.nMini
		d.mini = 0
	}
	w := uint(d.data[d.widths+d.mini])
	if w > 64 {
		return fmt.Errorf("DELTA_BINARY_PACKED: bit width %d", w)
	}
	// Only the values still to come must be there: the last miniblock of
	// a page may be cut short.
	need := (min(d.perMini, d.left)*int(w) + 7) / 8
	if d.pos > len(d.data) || len(d.data)-d.pos < need {
		return fmt.Errorf("DELTA_BINARY_PACKED miniblock: %w", errCorrupt)
	}
	d.miniWidth, d.miniUsed = w, 0
	return nil
}

// read decodes len(dst) values (at most the page's remaining ones).
func (d *deltaDecoder) read(dst []int64) error {
	if len(dst) > d.left {
		return fmt.Errorf("DELTA_BINARY_PACKED: %w", errCorrupt)
	}
	i := 0
	if d.first && len(dst) > 0 {
		dst[0] = int64(d.last)
		d.first = false
		d.left--
		i = 1
	}
	for i < len(dst) {
		if d.miniUsed == d.perMini {
			if err := d.nextMini(); err != nil {
				return err
			}
		}
		n := min(len(dst)-i, d.perMini-d.miniUsed)
		out := dst[i : i+n]
		last, md := d.last, d.minDelta
		if w := d.miniWidth; w == 0 {
			for j := range out {
				last += md
				out[j] = int64(last)
			}
		} else {
			src := d.data[d.pos:]
			mask := ^uint64(0) >> (64 - w)
			bit := uint(d.miniUsed) * w
			if end := (bit+uint(n)*w)>>3 + 8; w <= 56 && end <= uint(len(src)) {
				// Every value within one 8-byte load, all loads inside src.
				for j := range out {
					v := binary.LittleEndian.Uint64(src[bit>>3:]) >> (bit & 7)
					last += md + v&mask
					out[j] = int64(last)
					bit += w
				}
				d.last = last
				d.miniUsed += n
				d.left -= n
				i += n
				continue
			}
			for j := range out {
				var v uint64
				if b := bit >> 3; b+9 <= uint(len(src)) {
					s := bit & 7
					v = binary.LittleEndian.Uint64(src[b:])>>s | uint64(src[b+8])<<(64-s)
				} else {
					v = bitsAt(src, bit)
				}
				last += md + v&mask
				out[j] = int64(last)
				bit += w
			}
		}
		d.last = last
		d.miniUsed += n
		d.left -= n
		i += n
	}
	return nil
}

// bitsAt returns the 64 bits starting at bit offset bit of src, bytes past
// its end read as zeros.
func bitsAt(src []byte, bit uint) uint64 {
	var buf [9]byte
	copy(buf[:], src[min(uint(len(src)), bit>>3):])
	s := bit & 7
	return binary.LittleEndian.Uint64(buf[:])>>s | uint64(buf[8])<<(64-s)
}

// rleDecoder decodes the RLE / bit-packed hybrid dictionary indices of a
// data page across calls to read.
type rleDecoder struct {
	data  []byte
	pos   int
	width uint
	left  int // values of the page not yet returned
	run   int // values left in the current run
	rle   bool
	value uint32
	bit   uint // bit-packed run: offset of the next value in data
}

func (d *rleDecoder) init(data []byte, numValues int) error {
	if len(data) == 0 {
		if numValues == 0 {
			*d = rleDecoder{}
			return nil
		}
		return fmt.Errorf("dictionary indices: %w", errCorrupt)
	}
	if data[0] > 32 {
		return fmt.Errorf("dictionary indices: bit width %d", data[0])
	}
	*d = rleDecoder{data: data, pos: 1, width: uint(data[0]), left: numValues}
	return nil
}

func (d *rleDecoder) nextRun() error {
	r := thriftReader{b: d.data, pos: d.pos}
	h := r.uvarint()
	if r.err != nil || h>>1 == 0 || h>>1 > 1<<31 {
		return fmt.Errorf("dictionary indices: %w", errCorrupt)
	}
	if h&1 == 1 { // bit-packed groups of 8
		n := int(h>>1) * 8
		size := int(h>>1) * int(d.width)
		if need := (min(n, d.left)*int(d.width) + 7) / 8; len(d.data)-r.pos < need {
			return fmt.Errorf("dictionary indices: %w", errCorrupt)
		}
		d.rle, d.run, d.bit = false, n, uint(r.pos)*8
		d.pos = r.pos + size
		return nil
	}
	nb := int(d.width+7) / 8
	if len(d.data)-r.pos < nb {
		return fmt.Errorf("dictionary indices: %w", errCorrupt)
	}
	var v uint32
	for i := range nb {
		v |= uint32(d.data[r.pos+i]) << (8 * i)
	}
	d.rle, d.run, d.value = true, int(h>>1), v
	d.pos = r.pos + nb
	return nil
}

// read decodes len(dst) indices (at most the page's remaining ones).
func (d *rleDecoder) read(dst []uint32) error {
	if len(dst) > d.left {
		return fmt.Errorf("dictionary indices: %w", errCorrupt)
	}
	for i := 0; i < len(dst); {
		if d.run == 0 {
			if err := d.nextRun(); err != nil {
				return err
			}
		}
		n := min(d.run, len(dst)-i)
		out := dst[i : i+n]
		if d.rle {
			for j := range out {
				out[j] = d.value
			}
		} else {
			src, bit, w := d.data, d.bit, d.width
			mask := uint64(1)<<w - 1
			for j := range out {
				var v uint64
				if b := bit >> 3; b+8 <= uint(len(src)) {
					v = binary.LittleEndian.Uint64(src[b:]) >> (bit & 7)
				} else {
					v = bitsAt(src, bit)
				}
				out[j] = uint32(v & mask)
				bit += w
			}
			d.bit = bit
		}
		d.run -= n
		d.left -= n
		i += n
	}
	return nil
}

// colDecoder reads one column chunk page by page.
type colDecoder struct {
	name  string
	typ   parquet.Kind
	chunk []byte // the chunk's pages not yet read
	codec compress.Codec
	row   int64 // file row of the chunk's first value (error messages)

	left     int   // values of the current page not yet returned
	enc      int32 // encoding of the current page
	values   []byte
	plainPos int
	delta    deltaDecoder
	rle      rleDecoder

	page, dictPage []byte // decompression buffers, reused
	hdr            pageHeader

	// The dictionary of a string column: names point into dictPage.
	dict      [][]byte
	dictKinds []eventlog.Kind // kind: the kind of each entry (invalid if unknown)
	dictOK    []bool          // run_id: whether the entry is the wanted run ID
	dictFor   []byte          // run_id: the ID dictOK was computed for
	idx       []uint32
	lastName  []byte // PLAIN kind pages: the previous row's name and kind
	lastKind  eventlog.Kind
}

func (c *colDecoder) reset(name string, typ parquet.Kind, chunk []byte, codec compress.Codec, row int64) {
	c.name, c.typ, c.chunk, c.codec, c.row = name, typ, chunk, codec, row
	c.left, c.values, c.dict, c.dictFor = 0, nil, c.dict[:0], c.dictFor[:0]
	c.lastName, c.lastKind = c.lastName[:0], eventlog.KindInvalid
}

// decompress returns the page body, decompressed into *buf if need be.
func (c *colDecoder) decompress(body []byte, size int, compressed bool, buf *[]byte) ([]byte, error) {
	if !compressed || c.codec == nil {
		if len(body) != size {
			return nil, fmt.Errorf("page of %d bytes, %d uncompressed: %w", len(body), size, errCorrupt)
		}
		return body, nil
	}
	if len(*buf) < size {
		*buf = make([]byte, size+size/4)
	}
	dst := (*buf)[:size]
	out, err := c.codec.Decode(dst, body)
	if err != nil {
		return nil, fmt.Errorf("decompressing a page: %w", err)
	}
	if len(out) != size {
		return nil, fmt.Errorf("page decompressed to %d bytes, header says %d: %w", len(out), size, errCorrupt)
	}
	if size > 0 && &out[0] != &dst[0] { // the codec allocated: keep its buffer
		*buf = out[:cap(out)]
	}
	return out, nil
}

// nextPage reads page headers until the next data page and prepares its
// decoder.
func (c *colDecoder) nextPage() error {
	for {
		if len(c.chunk) == 0 {
			return errors.New("ends early; allowed: complete files")
		}
		h := &c.hdr
		n, err := parsePageHeader(c.chunk, h)
		if err != nil {
			return err
		}
		if int64(h.uncompressed) > maxPageSize {
			return fmt.Errorf("page of %d bytes; allowed: up to %d", h.uncompressed, maxPageSize)
		}
		if int64(h.compressed) > int64(len(c.chunk)-n) {
			return fmt.Errorf("page of %d bytes past the column chunk's end: %w", h.compressed, errCorrupt)
		}
		body := c.chunk[n : n+int(h.compressed)]
		c.chunk = c.chunk[n+int(h.compressed):]
		switch h.typ {
		case pageDict:
			if c.typ != parquet.ByteArray || (h.encoding != encPlain && h.encoding != encPlainDict) {
				return fmt.Errorf("dictionary page encoding %d; allowed: PLAIN byte arrays", h.encoding)
			}
			data, err := c.decompress(body, int(h.uncompressed), true, &c.dictPage)
			if err != nil {
				return err
			}
			if err := c.setDict(data, int(h.numValues)); err != nil {
				return err
			}
			continue
		case pageData:
			if h.numValues < 0 {
				return fmt.Errorf("page header: %w", errCorrupt)
			}
			data, err := c.decompress(body, int(h.uncompressed), true, &c.page)
			if err != nil {
				return err
			}
			c.values = data // required, flat: no levels
		case pageDataV2:
			if h.numValues < 0 || h.numNulls != 0 || h.defLen < 0 || h.repLen < 0 ||
				int64(h.defLen)+int64(h.repLen) > int64(len(body)) || h.defLen+h.repLen > h.uncompressed {
				return fmt.Errorf("V2 page header (%d values, %d nulls): %w", h.numValues, h.numNulls, errCorrupt)
			}
			lv := int(h.defLen + h.repLen) // levels are never compressed
			data, err := c.decompress(body[lv:], int(h.uncompressed)-lv, h.valuesCompressed, &c.page)
			if err != nil {
				return err
			}
			c.values = data
		default: // index pages and the like carry no values
			continue
		}
		c.left, c.enc, c.plainPos = int(h.numValues), h.encoding, 0
		if c.left == 0 {
			continue
		}
		switch {
		case c.enc == encDeltaBinary && c.typ != parquet.ByteArray:
			return c.delta.init(c.values, c.left)
		case c.enc == encPlain:
			return nil
		case (c.enc == encRLEDict || c.enc == encPlainDict) && c.typ == parquet.ByteArray:
			if len(c.dict) == 0 {
				return errors.New("dictionary-encoded page without a dictionary")
			}
			return c.rle.init(c.values, c.left)
		}
		return fmt.Errorf("page encoding %d for type %s; allowed: the layout of docs/schema.md", c.enc, c.typ)
	}
}

func (c *colDecoder) setDict(data []byte, n int) error {
	if n < 0 || n > maxDictionarySize {
		return fmt.Errorf("dictionary of %d entries: %w", n, errCorrupt)
	}
	c.dict = c.dict[:0]
	for range n {
		if len(data) < 4 {
			return fmt.Errorf("dictionary: %w", errCorrupt)
		}
		l := binary.LittleEndian.Uint32(data)
		if uint64(l) > uint64(len(data)-4) {
			return fmt.Errorf("dictionary: %w", errCorrupt)
		}
		c.dict = append(c.dict, data[4:4+l:4+l])
		data = data[4+l:]
	}
	c.dictKinds, c.dictOK, c.dictFor = c.dictKinds[:0], c.dictOK[:0], c.dictFor[:0]
	if c.name == colKind {
		for _, name := range c.dict {
			k, _ := lookupKind(name)
			c.dictKinds = append(c.dictKinds, k)
		}
	}
	return nil
}

// ints decodes len(dst) values of an integer column.
func (c *colDecoder) ints(dst []int64) error {
	for len(dst) > 0 {
		if c.left == 0 {
			if err := c.nextPage(); err != nil {
				return err
			}
		}
		n := min(c.left, len(dst))
		switch c.enc {
		case encDeltaBinary:
			if err := c.delta.read(dst[:n]); err != nil {
				return err
			}
			if c.typ == parquet.Int32 { // 32-bit wrap-around arithmetic
				for i, v := range dst[:n] {
					dst[i] = int64(int32(v))
				}
			}
		default: // PLAIN
			size := 8
			if c.typ == parquet.Int32 {
				size = 4
			}
			if len(c.values)-c.plainPos < n*size {
				return fmt.Errorf("PLAIN page: %w", errCorrupt)
			}
			src := c.values[c.plainPos : c.plainPos+n*size]
			if size == 8 {
				for i := range dst[:n] {
					dst[i] = int64(binary.LittleEndian.Uint64(src[8*i:]))
				}
			} else {
				for i := range dst[:n] {
					dst[i] = int64(int32(binary.LittleEndian.Uint32(src[4*i:])))
				}
			}
			c.plainPos += n * size
		}
		c.left -= n
		c.row += int64(n)
		dst = dst[n:]
	}
	return nil
}

// plainString returns the next value of a PLAIN string page.
func (c *colDecoder) plainString() ([]byte, error) {
	v := c.values[min(c.plainPos, len(c.values)):]
	if len(v) < 4 || uint64(binary.LittleEndian.Uint32(v)) > uint64(len(v)-4) {
		return nil, fmt.Errorf("PLAIN page: %w", errCorrupt)
	}
	l := int(binary.LittleEndian.Uint32(v))
	c.plainPos += 4 + l
	return v[4 : 4+l], nil
}

// indices decodes n dictionary indices into c.idx, checking them.
func (c *colDecoder) indices(n int) ([]uint32, error) {
	if cap(c.idx) < n {
		c.idx = make([]uint32, n)
	}
	idx := c.idx[:n]
	if err := c.rle.read(idx); err != nil {
		return nil, err
	}
	for i, x := range idx {
		if int(x) >= len(c.dict) {
			return nil, fmt.Errorf("row %d: dictionary index %d of %d entries: %w", c.row+int64(i)+1, x, len(c.dict), errCorrupt)
		}
	}
	return idx, nil
}

// kinds decodes len(dst) values of the kind column.
func (c *colDecoder) kinds(dst []eventlog.Kind) error {
	for len(dst) > 0 {
		if c.left == 0 {
			if err := c.nextPage(); err != nil {
				return err
			}
		}
		n := min(c.left, len(dst))
		if c.enc == encPlain {
			for i := range dst[:n] {
				name, err := c.plainString()
				if err != nil {
					return err
				}
				if string(name) != string(c.lastName) || c.lastKind == eventlog.KindInvalid {
					k, ok := lookupKind(name)
					if !ok {
						return fmt.Errorf("row %d: unknown kind %q; allowed: the kinds of docs/schema.md", c.row+int64(i)+1, name)
					}
					c.lastKind, c.lastName = k, append(c.lastName[:0], name...)
				}
				dst[i] = c.lastKind
			}
		} else {
			idx, err := c.indices(n)
			if err != nil {
				return err
			}
			kinds := c.dictKinds
			for i, x := range idx {
				k := kinds[x]
				if k == eventlog.KindInvalid {
					return fmt.Errorf("row %d: unknown kind %q; allowed: the kinds of docs/schema.md", c.row+int64(i)+1, c.dict[x])
				}
				dst[i] = k
			}
		}
		c.left -= n
		c.row += int64(n)
		dst = dst[n:]
	}
	return nil
}

// runIDs checks the next n values of the run_id column against *want; an
// empty *want with adopt set takes the first value.
func (c *colDecoder) runIDs(n int, want *[]byte, adopt bool) error {
	for n > 0 {
		if c.left == 0 {
			if err := c.nextPage(); err != nil {
				return err
			}
		}
		k := min(c.left, n)
		if c.enc == encPlain {
			for i := range k {
				v, err := c.plainString()
				if err != nil {
					return err
				}
				if adopt && *want == nil {
					*want = append([]byte{}, v...)
				}
				if string(v) != string(*want) {
					return fmt.Errorf("row %d: run_id %q; allowed: the file's run %q", c.row+int64(i)+1, v, *want)
				}
			}
		} else {
			idx, err := c.indices(k)
			if err != nil {
				return err
			}
			if adopt && *want == nil && k > 0 {
				*want = append([]byte{}, c.dict[idx[0]]...)
			}
			if len(c.dictOK) == 0 || string(c.dictFor) != string(*want) {
				c.dictOK = c.dictOK[:0]
				for _, v := range c.dict {
					c.dictOK = append(c.dictOK, string(v) == string(*want))
				}
				c.dictFor = append(c.dictFor[:0], *want...)
			}
			ok := c.dictOK
			for i, x := range idx {
				if !ok[x] {
					return fmt.Errorf("row %d: run_id %q; allowed: the file's run %q", c.row+int64(i)+1, c.dict[x], *want)
				}
			}
		}
		c.left -= k
		c.row += int64(k)
		n -= k
	}
	return nil
}
