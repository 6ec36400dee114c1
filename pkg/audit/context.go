package audit

import "context"

type sourceKey struct{}

// WithSource returns ctx carrying the source of the request being served
// (the client's address, the interface it came in on). A device's request
// handler sets it once; Log.Append stores it for any Event whose Source is
// empty, so that records made deep inside a library (a session found
// expired, an unknown token, an administrator's change) still say where
// the request came from.
func WithSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, sourceKey{}, source)
}

// SourceFrom returns the source WithSource put in ctx, or "".
func SourceFrom(ctx context.Context) string {
	s, _ := ctx.Value(sourceKey{}).(string)
	return s
}
