package sim

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/hl7"
)

// TestFeedNeverAcknowledgesAnAcknowledgement: HL7 v2 (2.9 section 2.9.2):
// an acknowledgement is never acknowledged, whatever its trigger event.
// Answering one starts an ACK storm between two engines that each ack
// the other's acks.
func TestFeedNeverAcknowledgesAnAcknowledgement(t *testing.T) {
	p, err := New(context.Background(), "infusion-pump")
	require.NoError(t, err)
	defer p.Close()
	ep := feedOf(t, p)
	c, err := tls.Dial("tcp", ep.Address, peerTLS(t, p, ep, true))
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	h := hl7.Header{SendingApp: "ENGINE", Time: time.Now()}
	for i, typ := range []string{"ACK^O16", "ACK^A01", "ACK^R01", "ACK", "ACK^O16^ACK"} {
		h.ControlID = fmt.Sprint("E", i)
		ack := hl7.NewAck(h, nil, hl7.AA, "")
		ack.Segments[0].Set(9, hl7.F(strings.Split(typ, "^")...))
		require.True(t, hl7.IsAck(ack), typ)
		require.NoError(t, hl7.WriteFrame(c, ack.Encode()), typ)
	}
	// The next acknowledgement the pump sends must be for this order.
	reply, err := roundTrip(t, c, order("42"))
	require.NoError(t, err)
	assert.Equal(t, "RRG^O16", reply.Type(), "the pump answered an acknowledgement: %s", reply.Encode())
	assert.Equal(t, "C1", reply.Get("MSA-2"))
	assert.Equal(t, hl7.AA, reply.Get("MSA-1"))
}
