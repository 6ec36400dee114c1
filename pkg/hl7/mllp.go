package hl7

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MLLP framing bytes (HL7 v2 Appendix C, Minimal Lower Layer Protocol).
const (
	StartBlock   byte = 0x0B // vertical tab, starts a frame
	EndBlock     byte = 0x1C // file separator, ends the payload
	CarriageEnd  byte = 0x0D // carriage return after EndBlock
	DefaultLimit      = 1 << 20
)

// ErrFrame reports a byte stream that is not MLLP: data outside a frame, or
// a frame whose end block is not followed by a carriage return.
var ErrFrame = errors.New("hl7: malformed MLLP frame")

// ErrTooLarge reports a frame longer than the reader's limit. The rest of
// the frame is not read: the peer should be disconnected.
var ErrTooLarge = errors.New("hl7: MLLP frame over the size limit")

// Reader reads MLLP frames from a stream.
type Reader struct {
	r     *bufio.Reader
	limit int
}

// NewReader returns a Reader whose frames may hold at most limit payload
// bytes (DefaultLimit when limit <= 0).
func NewReader(r io.Reader, limit int) *Reader {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Reader{r: bufio.NewReaderSize(r, 4096), limit: limit}
}

// ReadFrame returns the payload of the next frame. It returns io.EOF when
// the stream ends cleanly between frames, io.ErrUnexpectedEOF when it ends
// inside one, ErrFrame for bytes outside a frame and ErrTooLarge for a
// frame over the limit. Whitespace between frames (some senders add a line
// feed) is skipped.
func (r *Reader) ReadFrame() ([]byte, error) {
	for {
		b, err := r.r.ReadByte()
		if err != nil {
			return nil, err
		}
		if b == StartBlock {
			break
		}
		if b != '\r' && b != '\n' {
			return nil, fmt.Errorf("%w: byte 0x%02x outside a frame", ErrFrame, b)
		}
	}
	var buf []byte
	for {
		chunk, err := r.r.ReadSlice(EndBlock)
		if len(buf)+len(chunk) > r.limit+1 { // +1: the end block itself
			return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, r.limit)
		}
		buf = append(buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		break
	}
	b, err := r.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if b != CarriageEnd {
		return nil, fmt.Errorf("%w: end block followed by 0x%02x, not a carriage return", ErrFrame, b)
	}
	payload := buf[:len(buf)-1]
	if bytes.IndexByte(payload, StartBlock) >= 0 {
		return nil, fmt.Errorf("%w: start block inside a frame", ErrFrame)
	}
	return payload, nil
}

// AppendFrame appends payload framed for MLLP to dst. The payload must not
// hold the framing bytes 0x0B or 0x1C (HL7 text never does).
func AppendFrame(dst, payload []byte) ([]byte, error) {
	if bytes.IndexByte(payload, StartBlock) >= 0 || bytes.IndexByte(payload, EndBlock) >= 0 {
		return dst, fmt.Errorf("%w: payload holds a framing byte", ErrFrame)
	}
	dst = append(dst, StartBlock)
	dst = append(dst, payload...)
	return append(dst, EndBlock, CarriageEnd), nil
}

// WriteFrame writes payload as one MLLP frame in a single Write.
func WriteFrame(w io.Writer, payload []byte) error {
	b, err := AppendFrame(make([]byte, 0, len(payload)+3), payload)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
