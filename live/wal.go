package live

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"
)

// wal is a live ballast node's write-ahead file: what raft must persist
// (term, vote, log entries) appended as records and fsynced before the
// messages that depend on it leave. Each record is a 4-byte little-endian
// length of what follows, a CRC-32 (Castagnoli) of it, a type byte and
// the protobuf bytes. A record cut short by a crash (SIGKILL in the middle
// of a write) ends the file: reading stops there and the next write
// truncates it. The same directory holds the node's restart count.
type wal struct {
	f   *os.File
	buf []byte
}

const (
	walHardState byte = 1
	walEntry     byte = 2
)

var walCRC = crc32.MakeTable(crc32.Castagnoli)

// openWAL opens (or creates) node's write-ahead file in dir and returns
// what it holds: the last hard state (nil if none) and the log entries in
// the order they were written (raft's storage truncates what a later
// entry of the same index replaces).
func openWAL(dir string, node int) (w *wal, hs *pb.HardState, ents []*pb.Entry, err error) {
	path := filepath.Join(dir, fmt.Sprintf("node-%d.wal", node))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, nil, err
	}
	r := bufio.NewReader(f)
	var good int64
	var head [9]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			break
		}
		n := binary.LittleEndian.Uint32(head[:4])
		if n > 64<<20 {
			break
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			break
		}
		sum := crc32.Update(crc32.Checksum(head[8:9], walCRC), walCRC, body)
		if sum != binary.LittleEndian.Uint32(head[4:8]) {
			break
		}
		switch head[8] {
		case walHardState:
			hs = &pb.HardState{}
			err = proto.Unmarshal(body, hs)
		case walEntry:
			e := &pb.Entry{}
			err = proto.Unmarshal(body, e)
			ents = append(ents, e)
		default:
			err = fmt.Errorf("record type %d", head[8])
		}
		if err != nil {
			f.Close()
			return nil, nil, nil, fmt.Errorf("%s: at byte %d: %v", path, good, err)
		}
		good += 9 + int64(n)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return &wal{f: f}, hs, ents, nil
}

// save appends hs (if any) and ents in one write, then fsyncs.
func (w *wal) save(hs *pb.HardState, ents []*pb.Entry) error {
	w.buf = w.buf[:0]
	add := func(typ byte, m proto.Message) error {
		start := len(w.buf)
		w.buf = append(w.buf, make([]byte, 9)...)
		var err error
		w.buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(w.buf, m)
		if err != nil {
			return err
		}
		body := w.buf[start+9:]
		w.buf[start+8] = typ
		binary.LittleEndian.PutUint32(w.buf[start:], uint32(len(body)))
		binary.LittleEndian.PutUint32(w.buf[start+4:], crc32.Update(crc32.Checksum([]byte{typ}, walCRC), walCRC, body))
		return nil
	}
	for _, e := range ents {
		if err := add(walEntry, e); err != nil {
			return err
		}
	}
	if hs != nil {
		if err := add(walHardState, hs); err != nil {
			return err
		}
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return err
	}
	return w.f.Sync()
}

func (w *wal) close() error { return w.f.Close() }

// nextIncarnation reads node's restart count from dir, adds one, and
// stores it (fsynced) before the node does anything: 0 on the first start.
func nextIncarnation(dir string, node int) (uint32, error) {
	path := filepath.Join(dir, fmt.Sprintf("node-%d.incarnation", node))
	n := uint32(0)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		v, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
		if perr != nil {
			return 0, fmt.Errorf("%s: %v", path, perr)
		}
		n = uint32(v) + 1
	case !errors.Is(err, os.ErrNotExist):
		return 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	_, err = fmt.Fprintf(f, "%d\n", n)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
