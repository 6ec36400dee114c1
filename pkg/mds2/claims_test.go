package mds2_test

import (
	"archive/zip"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/wardsec/ward/internal/inputlimit"
	"github.com/wardsec/ward/pkg/mds2"
)

// workbook builds an xlsx in memory: edit gets the file with its default
// sheet renamed to sheet.
func workbook(t testing.TB, sheet string, edit func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetName("Sheet1", sheet))
	edit(f)
	var b bytes.Buffer
	_, err := f.WriteTo(&b)
	require.NoError(t, err)
	return b.Bytes()
}

func setRows(t testing.TB, f *excelize.File, sheet string, rows [][]string) {
	t.Helper()
	for i, r := range rows {
		for j, v := range r {
			ref, err := excelize.CoordinatesToCellName(j+1, i+1)
			require.NoError(t, err)
			require.NoError(t, f.SetCellStr(sheet, ref, v))
		}
	}
}

var goodRows = [][]string{
	{"Question ID", "Question", "Yes, No, N/A, or See Note", "Note #"},
	{"STCF", "Health data storage confidentiality"},
	{"STCF-1", "Can the device encrypt data at rest?", "Yes", ""},
	{"CONN-3", "Talks to other systems?", "n/a", "none"},
	{"EMRG-1", "Break glass?", "See Note", "1"},
}

// A workbook in the NEMA layout is read whole: the header is found by
// name, section rows are skipped, answers are normalised.
func TestReadClaimsXLSX(t *testing.T) {
	data := workbook(t, "MDS2", func(f *excelize.File) { setRows(t, f, "MDS2", goodRows) })
	claims, err := mds2.ReadClaimsXLSX(bytes.NewReader(data), mapping(t))
	require.NoError(t, err)
	assert.Equal(t, []mds2.Claim{
		{ID: "STCF-1", Answer: "Yes", Where: "MDS2!C3"},
		{ID: "CONN-3", Answer: "N/A", Note: "none", Where: "MDS2!C4"},
		{ID: "EMRG-1", Answer: "See Note", Note: "1", Where: "MDS2!C5"},
	}, claims)
}

// A merged section heading (as the NEMA form has) hides no answer and is
// read past.
func TestMergedHeadingRowIsAllowed(t *testing.T) {
	data := workbook(t, "MDS2", func(f *excelize.File) {
		setRows(t, f, "MDS2", goodRows)
		require.NoError(t, f.MergeCell("MDS2", "B2", "D2"))
		require.NoError(t, f.MergeCell("MDS2", "A1", "A1"))
	})
	claims, err := mds2.ReadClaimsXLSX(bytes.NewReader(data), mapping(t))
	require.NoError(t, err)
	assert.Len(t, claims, 3)
}

// What Ward writes, Ward reads back: the filled secure form, imported as
// a vendor's claims, is confirmed by the secure evidence and contradicted
// at the at-rest encryption claim by the plaintext-storage device.
func TestFilledFormRoundTripsAndCatchesPlaintextStorage(t *testing.T) {
	m := mapping(t)
	secure, err := mds2.Fill(checkSim(t, "sim://infusion-pump").run, m)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, secure.WriteXLSX(&b, 0, m))
	claims, err := mds2.ReadClaimsXLSX(bytes.NewReader(b.Bytes()), m)
	require.NoError(t, err)
	require.Len(t, claims, len(m.Questions()))

	same := mds2.Compare(secure.Targets[0], claims)
	assert.Empty(t, same.Contradicted)
	assert.Len(t, same.Confirmed, secure.Targets[0].Answered)

	weak, err := mds2.Fill(checkSim(t, "sim://infusion-pump?weaken=plaintext-storage").run, m)
	require.NoError(t, err)
	got := mds2.Compare(weak.Targets[0], claims)
	var ids []string
	for _, f := range got.Contradicted {
		ids = append(ids, f.ID)
		if f.ID == "STCF-1" {
			assert.Equal(t, "Yes", f.Claimed)
			assert.Equal(t, "No", f.Measured)
			assert.Contains(t, f.Reason, "HIPAA-164.312-a-2-iv")
			require.NotEmpty(t, f.Controls)
			assert.NotEmpty(t, f.Controls[0].Artifacts)
		}
	}
	assert.Contains(t, ids, "STCF-1")
}

// Claiming N/A for a function the evidence shows is a contradiction: a
// network service Ward reached, a break-glass feature it exercised.
func TestNAClaimContradictedByWhatWasFound(t *testing.T) {
	m := mapping(t)
	f, err := mds2.Fill(checkSim(t, "sim://infusion-pump").run, m)
	require.NoError(t, err)
	got := mds2.Compare(f.Targets[0], []mds2.Claim{
		{ID: "CONN-3", Answer: "N/A"}, {ID: "EMRG-1", Answer: "N/A"}, {ID: "CONN-1", Answer: "No"},
		{ID: "PLOK-2", Answer: "Yes"}, {ID: "STCF-1", Answer: "Maybe"},
	})
	require.Len(t, got.Contradicted, 3)
	assert.Contains(t, got.Contradicted[0].Reason, "listening")
	assert.Contains(t, got.Contradicted[1].Reason, "claimed N/A")
	assert.Equal(t, "CONN-1", got.Contradicted[2].ID)
	require.Len(t, got.Untestable, 2)
	assert.Contains(t, got.Untestable[0].Reason, "physical")
	assert.Contains(t, got.Untestable[1].Reason, "not Yes, No or N/A")
}

// Workbooks Ward cannot read whole are refused with the sheet and cell,
// never read in part.
func TestBadWorkbooksAreRefused(t *testing.T) {
	m := mapping(t)
	with := func(edit func(f *excelize.File)) []byte {
		return workbook(t, "MDS2", func(f *excelize.File) { setRows(t, f, "MDS2", goodRows); edit(f) })
	}
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"no MDS2 sheet", workbook(t, "Disclosure", func(f *excelize.File) { setRows(t, f, "Disclosure", goodRows) }),
			[]string{`no sheet "MDS2"`, `"Disclosure"`}},
		{"another layout", workbook(t, "MDS2", func(f *excelize.File) {
			setRows(t, f, "MDS2", [][]string{{"Item", "Response"}, {"1-1", "Yes"}})
		}), []string{"MDS2", "no header row"}},
		{"merged cells", with(func(f *excelize.File) { require.NoError(t, f.MergeCell("MDS2", "A4", "C4")) }),
			[]string{"MDS2!A4:C4", "merged"}},
		{"merged over two rows", with(func(f *excelize.File) { require.NoError(t, f.MergeCell("MDS2", "D3", "D4")) }),
			[]string{"MDS2!D3:D4", "merged"}},
		{"formula", with(func(f *excelize.File) { require.NoError(t, f.SetCellFormula("MDS2", "C3", `IF(1,"Yes","No")`)) }),
			[]string{"MDS2!C3", "formula"}},
		{"other version", with(func(f *excelize.File) { require.NoError(t, f.SetCellStr("MDS2", "A3", "ALOF-9")) }),
			[]string{"MDS2!A3", "not a question of ANSI/NEMA HN 1-2019"}},
		{"answer without id", with(func(f *excelize.File) { require.NoError(t, f.SetCellStr("MDS2", "C7", "Yes")) }),
			[]string{"MDS2!C7", "no question id"}},
		{"repeated question", with(func(f *excelize.File) { require.NoError(t, f.SetCellStr("MDS2", "A4", "STCF-1")) }),
			[]string{"MDS2!A4", "again", "MDS2!A3"}},
		{"not a zip", []byte("Question ID,Answer\nSTCF-1,Yes\n"), []string{"not a zip"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims, err := mds2.ReadClaimsXLSX(bytes.NewReader(c.data), m)
			require.ErrorIs(t, err, mds2.ErrBadForm)
			assert.Nil(t, claims)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// zipOf packs one large, highly compressible part: a zip bomb in small.
func zipOf(t testing.TB, size int64) []byte {
	t.Helper()
	var raw bytes.Buffer
	zw := zip.NewWriter(&raw)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	require.NoError(t, err)
	_, err = io.CopyN(w, zeros{}, size)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return raw.Bytes()
}

// lying repacks a one-part zip declaring that the part unpacks to 1 KiB:
// the reader must still not unpack more.
func lying(t testing.TB, data []byte) []byte {
	t.Helper()
	{
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		f := zr.File[0]
		h := f.FileHeader
		h.UncompressedSize64 = 1024
		rw, err := zw.CreateRaw(&h)
		require.NoError(t, err)
		r, err := f.OpenRaw()
		require.NoError(t, err)
		_, err = io.Copy(rw, r)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		data = out.Bytes()
	}
	return data
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A zip bomb (a small file that unpacks to more than Ward reads) is
// refused before anything is unpacked, and one that lies about its sizes
// is refused when the lie shows.
func TestZipBombIsRefused(t *testing.T) {
	m := mapping(t)
	bomb := zipOf(t, 65<<20)
	require.Less(t, len(bomb), 1<<20, "the bomb is small on disk")
	_, err := mds2.ReadClaimsXLSX(bytes.NewReader(bomb), m)
	require.ErrorIs(t, err, mds2.ErrBadForm)
	assert.Contains(t, err.Error(), "zip bomb")

	liar := lying(t, bomb)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = mds2.ReadClaimsXLSX(bytes.NewReader(liar), m)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, mds2.ErrBadForm)
	// archive/zip stops a part at its declared size, so the 65 MiB part
	// is never unpacked.
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated reading the lying zip")
}

func TestOversizeFormIsRefused(t *testing.T) {
	big := io.LimitReader(zeros{}, mds2.MaxFormFile+1)
	_, err := mds2.ReadClaimsXLSX(big, mapping(t))
	assert.ErrorIs(t, err, inputlimit.ErrTooLarge)
	assert.ErrorIs(t, err, mds2.ErrBadForm)
	_, err = mds2.ReadClaimsCSV(io.LimitReader(zeros{}, mds2.MaxFormFile+1), mapping(t))
	assert.ErrorIs(t, err, inputlimit.ErrTooLarge)
}

func TestReadClaimsCSV(t *testing.T) {
	m := mapping(t)
	good := "\ufeffVendor MDS2\nQuestion ID,Question,Answer,Notes\nSTCF,Storage confidentiality,,\nSTCF-1,\"Encrypt, at rest?\",yes,\nCONN-3,x,No,\n"
	claims, err := mds2.ReadClaimsCSV(strings.NewReader(good), m)
	require.NoError(t, err)
	assert.Equal(t, []mds2.Claim{{ID: "STCF-1", Answer: "Yes", Where: "line 4"}, {ID: "CONN-3", Answer: "No", Where: "line 5"}}, claims)

	for name, c := range map[string]struct{ src, want string }{
		"no header":     {"STCF-1,Yes\n", "no header row"},
		"other version": {"Question ID,Answer\n1-1,Yes\n", `line 2: "1-1" is not a question id`},
		"unknown id":    {"Question ID,Answer\nZZZZ-1,Yes\n", "line 2"},
		"bad quoting":   {"Question ID,Answer\nSTCF-1,\"Yes\n", "extraneous or missing"},
		"no rows":       {"Question ID,Answer\n", "no question rows"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := mds2.ReadClaimsCSV(strings.NewReader(c.src), m)
			require.ErrorIs(t, err, mds2.ErrBadForm)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
