package audit

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Sink forwards records off the device (a collector, syslog). Sinks get
// each record after it is stored locally, so a failing sink never loses the
// local record. Send must not keep or modify r.Detail after returning.
type Sink interface {
	Send(ctx context.Context, r Record) error
}

type writerSink struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriterSink returns a Sink writing each record to w as one JSON line,
// in the same form as the log file. It is safe for concurrent use; each
// record is one Write, so lines never interleave.
func NewWriterSink(w io.Writer) Sink { return &writerSink{w: w} }

func (s *writerSink) Send(_ context.Context, r Record) error {
	line, err := marshalLine(&r)
	if err != nil {
		return fmt.Errorf("audit: writer sink: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(line); err != nil {
		return fmt.Errorf("audit: writer sink: %w", err)
	}
	return nil
}
