package http

// Second reader's differential test of multipart parsing around the
// spooled window (multipartWindow), where delimiters and part headers
// straddle the window's edges.

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestMultipartWindowEdges(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 120 {
		bl := 1 + r.IntN(70)
		boundary := strings.Repeat("b", bl)
		if r.IntN(2) == 0 {
			boundary = strings.Repeat("-", bl)
		}
		var b bytes.Buffer
		nparts := 1 + r.IntN(4)
		for i := range nparts {
			b.WriteString("--" + boundary)
			if r.IntN(4) == 0 {
				b.WriteString(strings.Repeat(" ", r.IntN(40)))
			}
			b.WriteString("\r\n")
			hdr := `Content-Disposition: form-data; name="f` + string(rune('a'+i)) + `"`
			if r.IntN(2) == 0 {
				hdr += `; filename="x.bin"`
			}
			b.WriteString(hdr + "\r\n")
			if r.IntN(3) == 0 {
				b.WriteString("X-Pad: " + strings.Repeat("p", r.IntN(16<<10-200)) + "\r\n")
			}
			b.WriteString("\r\n")
			// data that ends near a multiple of the window, holding
			// near-delimiters
			target := multipartWindow*(1+r.IntN(3)) - b.Len() + r.IntN(200) - 100
			if r.IntN(3) == 0 {
				target = r.IntN(300)
			}
			var d bytes.Buffer
			for d.Len() < target {
				switch r.IntN(6) {
				case 0:
					d.WriteString("\r\n--" + boundary[:r.IntN(len(boundary))])
				case 1:
					d.WriteString("\r\n-")
				case 2:
					d.WriteString("\n--" + boundary + "x")
				default:
					d.WriteString(strings.Repeat("z", 1+r.IntN(500)))
				}
			}
			b.Write(d.Bytes()[:max(target, 0)])
			b.WriteString("\r\n")
		}
		b.WriteString("--" + boundary + "--\r\n")
		body := b.Bytes()
		req := formRequest(t, "multipart/form-data; boundary="+boundary, body)
		memErr := req.ParseForm()
		if memErr != nil {
			t.Logf("round %d: %v", round, memErr)
		}
		memFields := append([]FormValue(nil), req.PostValues()...)
		var memFiles []string
		for _, f := range req.Files() {
			memFiles = append(memFiles, f.Field+"="+readUpload(t, f))
		}
		req.removeTempFiles()
		for k, rd := range []func() any{
			func() any { return bytes.NewReader(body) },
			func() any { return iotest.HalfReader(bytes.NewReader(body)) },
		} {
			spErr := parseSpooled(req, rd().(interface{ Read([]byte) (int, error) }), int64(len(body)))
			require.True(t, errors.Is(memErr, spErr) || errors.Is(spErr, memErr), "round %d/%d: memory %v, spooled %v", round, k, memErr, spErr)
			require.Equal(t, len(memFields), len(req.PostValues()), "round %d/%d fields", round, k)
			for i, v := range req.PostValues() {
				require.Equal(t, memFields[i], v, "round %d/%d", round, k)
			}
			require.Equal(t, len(memFiles), len(req.Files()), "round %d/%d files", round, k)
			for i, f := range req.Files() {
				require.Equal(t, memFiles[i], f.Field+"="+readUpload(t, f), "round %d/%d file %d", round, k, i)
			}
			req.removeTempFiles()
		}
	}
}
