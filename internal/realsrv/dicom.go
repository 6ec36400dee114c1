package realsrv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// DICOMPort is where storescp listens: the well-known DICOM port.
const DICOMPort = 104

// StudyFile is the name storescp gives the test study under DataDir
// (modality prefix "SC" for Secondary Capture, then the SOP instance UID).
const StudyFile = "SC." + studySOPInstance

// The test study's UIDs: 2.25 is the UUID arc, so no organisation root is
// needed; the numbers are fixed so tests can look for them.
const (
	studySOPInstance = "2.25.77123456000000000000000000000001"
	studyInstance    = "2.25.77123456000000000000000000000002"
	studySeries      = "2.25.77123456000000000000000000000003"
)

// studyDump is a dcmdump-format text of a tiny Secondary Capture image
// of the test patient; dump2dcm turns it into a DICOM file.
const studyDump = `(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [` + studySOPInstance + `]
(0008,0020) DA [20260101]
(0008,0030) TM [120000]
(0008,0050) SH [ACC-0001]
(0008,0060) CS [OT]
(0008,0064) CS [WSD]
(0008,0090) PN [Referrer^Test]
(0010,0010) PN [` + PatientDICOM + `]
(0010,0020) LO [` + PatientMRN + `]
(0010,0030) DA [19700101]
(0010,0040) CS [F]
(0020,000d) UI [` + studyInstance + `]
(0020,000e) UI [` + studySeries + `]
(0020,0010) SH [1]
(0020,0011) IS [1]
(0020,0013) IS [1]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 2
(0028,0011) US 2
(0028,0100) US 8
(0028,0101) US 8
(0028,0102) US 7
(0028,0103) US 0
(7fe0,0010) OB 00\40\80\ff
`

// startStorescp runs dcmtk's storescp with its stock options (AE title
// STORESCP, no AE title checks, no TLS) on port 104, and stores the test
// study through it with storescu from an AE title it has never seen.
func startStorescp(ctx context.Context, s *Server) error {
	s.DataDir = filepath.Join(s.Dir, "data")
	if err := os.Mkdir(s.DataDir, 0o755); err != nil {
		return err
	}
	p, err := s.spawn("storescp", "--output-directory", s.DataDir, strconv.Itoa(DICOMPort))
	if err != nil {
		return err
	}
	if err := s.waitPorts(ctx, p); err != nil {
		return err
	}
	dump := filepath.Join(s.Dir, "study.dump")
	if err := os.WriteFile(dump, []byte(studyDump), 0o644); err != nil {
		return err
	}
	dcm := filepath.Join(s.Dir, "study.dcm")
	if _, err := run(ctx, s.Dir, "dump2dcm", "--write-xfer-little", dump, dcm); err != nil {
		return err
	}
	if _, err := run(ctx, s.Dir, "storescu", "--aetitle", "WARDSEED", "--call", "NOTCONFIGURED",
		s.Addr, strconv.Itoa(DICOMPort), dcm); err != nil {
		return fmt.Errorf("store the test study: %w", err)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, StudyFile)); err != nil {
		return fmt.Errorf("storescp did not store the test study: %w", err)
	}
	s.Truths = Truths{
		Cleartext:       true,
		TLS:             false,
		AnonymousAccess: true,
		AnyCallingAE:    true,
		AnyCalledAE:     true,
		CEcho:           true,
		CStore:          true,
		PatientData:     "DataDir/" + StudyFile,
	}
	return nil
}
