package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPersonNameAndHL7Escape(t *testing.T) {
	for _, tc := range []struct{ in, pn, esc string }{
		{"Ada Testpatient", "Testpatient^Ada", "Ada Testpatient"},
		{"Ada May Testpatient", "Testpatient^Ada^May", "Ada May Testpatient"},
		{"  Ada   Testpatient ", "Testpatient^Ada", "  Ada   Testpatient "},
		{"MRN-77123456", "", "MRN-77123456"},
		{`a|b^c&d~e\f`, "", `a\F\b\S\c\T\d\R\e\E\f`},
		{`\F\`, "", `\E\F\E\`}, // an escape sequence in the value is itself escaped
	} {
		assert.Equal(t, tc.pn, personName(tc.in), tc.in)
		assert.Equal(t, tc.esc, hl7Escape(tc.in), tc.in)
	}
}

// Each way clinical software writes a test patient's name or number is
// found, and named: the store a device would really leave behind.
func TestFindSecretClinicalEncodings(t *testing.T) {
	le := func(s string) string { return string(utf16Bytes(s, false)) }
	be := func(s string) string { return string(utf16Bytes(s, true)) }
	for _, tc := range []struct {
		name, secret, stored, form string
	}{
		{"plain", "Ada Testpatient", `{"name":"Ada Testpatient"}`, "plain"},
		{"upper case", "Ada Testpatient", "PN=ADA TESTPATIENT", "plain"},
		{"DICOM PN", "Ada Testpatient", "\x10\x00\x10\x00PN\x10\x00Testpatient^Ada ", "DICOM/HL7 person name"},
		{"DICOM PN upper", "Ada Testpatient", "TESTPATIENT^ADA^^^", "DICOM/HL7 person name"},
		{"HL7 PID-5", "Ada May Testpatient", "PID|1||MRN-77123456||Testpatient^Ada^May||19800101|F", "DICOM/HL7 person name"},
		{"caret given first", "Ada Testpatient", "Ada^Testpatient", "caret-separated"},
		{"HL7 escaped", "Smith|Jones & Co", `NTE|1||Smith\F\Jones \T\ Co`, "plain, HL7-escaped"},
		{"UTF-16LE", "MRN-77123456", "\xff\xfe" + le("MRN-77123456") + "\x00\x00", "plain, UTF-16LE"},
		{"UTF-16LE upper", "Ada Testpatient", le("ADA TESTPATIENT"), "plain, UTF-16LE"},
		{"UTF-16LE person name", "Ada Testpatient", le("Testpatient^Ada"), "DICOM/HL7 person name, UTF-16LE"},
		{"UTF-16BE", "MRN-77123456", be("MRN-77123456"), "plain, UTF-16BE"},
		{"hex upper", "MRN-77123456", strings.ToUpper("4d524e2d3737313233343536"), "hex"},
		{"base64", "MRN-77123456", "eyJtcm4iOiJNUk4tNzcxMjM0NTYifQ==" + " TVJOLTc3MTIzNDU2", "base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{"a.db": []byte("nothing here"), "z/store.bin": []byte(tc.stored)}
			loc, ok := locateSecret(files, []byte(tc.secret))
			require.True(t, ok, "%q not found in %q", tc.secret, tc.stored)
			assert.Equal(t, "z/store.bin", loc.file)
			assert.Equal(t, tc.form, loc.form)
		})
	}
}

// The text forms are not found where they are not: other names, a name
// split across records, base64 of another case.
func TestFindSecretNoFalseMatch(t *testing.T) {
	files := map[string][]byte{
		"a": []byte("Testpatient^Bob Ada^Other"),
		"b": []byte("Ada Testpatien"),
		"c": []byte("tvjolTc3MTIzNDU2"), // base64 of MRN-77123456, case changed
		"d": utf16Bytes("MRN-7712345", false),
	}
	for _, secret := range []string{"Ada Testpatient", "MRN-77123456"} {
		_, ok := findSecret(files, []byte(secret))
		assert.False(t, ok, secret)
	}
}

// Every file holding the value is named, not only the first.
func TestSearchValuesNamesEveryValueAndFile(t *testing.T) {
	files := map[string][]byte{
		"var/db/p.json":   []byte(`{"n":"Ada Testpatient","mrn":"MRN-77123456"}`),
		"var/dicom/1.dcm": []byte("Testpatient^Ada"),
		"var/cache/x":     utf16Bytes("MRN-77123456", false),
		"var/clean":       []byte("nothing"),
	}
	found, report := searchValues(files, []string{"Ada Testpatient", "MRN-77123456", "Zed Nobody"})
	require.Len(t, found, 2)
	assert.Equal(t, `"Ada Testpatient" in "var/db/p.json" (plain), "var/dicom/1.dcm" (DICOM/HL7 person name)`, found[0])
	assert.Equal(t, `"MRN-77123456" in "var/cache/x" (plain, UTF-16LE), "var/db/p.json" (plain)`, found[1])
	assert.Equal(t, 4, strings.Count(string(report), "\n"), string(report))

	// A device file name is quoted, never raw (a name with a newline or
	// an escape sequence cannot forge a line of the report).
	found, _ = searchValues(map[string][]byte{"x\n\x1b[2Jy": []byte("MRN-77123456")}, []string{"MRN-77123456"})
	assert.Equal(t, `"MRN-77123456" in "x\n\x1b[2Jy" (plain)`, found[0])
}

// A binary secret (a storage key) is searched byte for byte, never folded:
// ASCII case folding of random bytes would match what is not there.
func TestBinarySecretIsExact(t *testing.T) {
	key := []byte{0x41, 0x00, 0xff, 0x42, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80}
	lower := []byte{0x61, 0x00, 0xff, 0x62, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80}
	_, ok := findSecret(map[string][]byte{"f": lower}, key)
	assert.False(t, ok)
	_, ok = findSecret(map[string][]byte{"f": append([]byte("xx"), key...)}, key)
	assert.True(t, ok)
}
