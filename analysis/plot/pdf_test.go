package plot

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// pdfWithText writes a CDF whose labels hold non-ASCII text ("≤" in the y
// label, "µs" in the x label and a series) and returns the PDF's path.
func pdfWithText(t *testing.T) string {
	t.Helper()
	f, err := CDF("recovery", "recovery time (µs)", []Series{{Label: "random µs", Values: []float64{1, 2, 3}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(write(t, "text", f), ".png") + ".pdf"
}

var wantText = []string{"fraction ≤ x", "recovery time (µs)", "random µs"}

// TestPDFTextPdftotext extracts the text of a PDF as a reader would: every
// non-ASCII glyph comes back (vgpdf's cp1252 fonts gave "fraction â‰¤ x").
func TestPDFTextPdftotext(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed; TestPDFText checks the same without it")
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", pdfWithText(t), "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wantText {
		if !strings.Contains(string(out), w) {
			t.Errorf("pdftotext: no %q in\n%s", w, out)
		}
	}
}

// TestPDFText reads the PDF itself: its font is embedded with a Unicode
// encoding and a ToUnicode map, no longer the cp1252 (WinAnsi) encoding,
// and the strings its text operators show, decoded as that encoding's
// UTF-16, are the labels.
func TestPDFText(t *testing.T) {
	b, err := os.ReadFile(pdfWithText(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/Encoding /Identity-H", "/ToUnicode", "/FontFile2"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the PDF has no %s", want)
		}
	}
	if bytes.Contains(b, []byte("WinAnsiEncoding")) {
		t.Error("the PDF still has a WinAnsi (cp1252) font")
	}
	text := strings.Join(shownText(t, b), "\n")
	for _, w := range wantText {
		if !strings.Contains(text, w) {
			t.Errorf("no %q among the PDF's strings:\n%s", w, text)
		}
	}
}

// shownText decodes the strings of the "(...) Tj" operators of every
// content stream of a PDF as UTF-16BE.
func shownText(t *testing.T, pdf []byte) []string {
	t.Helper()
	var out []string
	stream := regexp.MustCompile(`(?s)<<([^>]*)>>\s*stream\r?\n`)
	for _, m := range stream.FindAllSubmatchIndex(pdf, -1) {
		start := m[1]
		end := bytes.Index(pdf[start:], []byte("endstream"))
		if end < 0 {
			t.Fatal("a stream without its end")
		}
		data := pdf[start : start+end]
		if bytes.Contains(pdf[m[2]:m[3]], []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				continue // an image or font: not text
			}
			if data, err = io.ReadAll(r); err != nil {
				continue
			}
		}
		// Content streams are operators and operands: a '(' starts a
		// literal string.
		for i := 0; i < len(data); i++ {
			if data[i] != '(' {
				continue
			}
			str, next := literal(data, i)
			if bytes.HasPrefix(bytes.TrimLeft(data[next:], " \t\r\n"), []byte("Tj")) {
				out = append(out, utf16BE(str))
			}
			i = next - 1
		}
	}
	return out
}

// literal reads the PDF literal string that opens at b[open]: its bytes,
// unescaped, and the index after its closing parenthesis.
func literal(b []byte, open int) ([]byte, int) {
	var out []byte
	depth := 0
	for i := open + 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '(':
			depth++
			out = append(out, c)
		case c == ')' && depth == 0:
			return out, i + 1
		case c == ')':
			depth--
			out = append(out, c)
		case c == '\\' && i+1 < len(b):
			i++
			switch e := b[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := 0
				for k := 0; k < 3 && i < len(b) && b[i] >= '0' && b[i] <= '7'; k++ {
					v, i = 8*v+int(b[i]-'0'), i+1
				}
				i--
				out = append(out, byte(v))
			default: // \( \) \\ and a backslash before anything else
				out = append(out, e)
			}
		default:
			out = append(out, c)
		}
	}
	return out, len(b)
}

func utf16BE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}
