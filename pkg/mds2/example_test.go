package mds2_test

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/mds2"
)

// exampleRun is a run of one target with three control outcomes.
func exampleRun() *evidence.Run {
	return &evidence.Run{ID: "run-1", Targets: []evidence.Target{{
		URI: "sim://infusion-pump",
		Controls: []evidence.Control{
			{ID: "HIPAA-164.312-a-2-iv", Outcome: evidence.NotSatisfied, Reason: "the marker was found in raw storage"},
			{ID: "HIPAA-164.312-a-2-iii", Outcome: evidence.Satisfied},
			{ID: "HIPAA-164.312-a-2-ii", Outcome: evidence.NotApplicable, Reason: "the device exposes no emergency access"},
		},
	}}}
}

// Fill answers from the outcomes: a control not satisfied gives No, a
// satisfied one Yes, and one that could not be checked leaves the question
// for the maker.
func ExampleFill() {
	m, err := mds2.Default()
	if err != nil {
		panic(err)
	}
	form, err := mds2.Fill(exampleRun(), m)
	if err != nil {
		panic(err)
	}
	for _, a := range form.Targets[0].Answers {
		switch a.ID {
		case "STCF-1", "ALOF-1", "EMRG-1":
			fmt.Printf("%s %q: %s\n", a.ID, a.Answer, a.Reason)
		}
	}
	// Output:
	// ALOF-1 "Yes": satisfied: HIPAA-164.312-a-2-iii
	// EMRG-1 "": unanswered, for the maker: HIPAA-164.312-a-2-ii not-applicable: the device exposes no emergency access
	// STCF-1 "No": not satisfied: HIPAA-164.312-a-2-iv
}

// Compare holds a vendor's claims against the filled form.
func ExampleCompare() {
	m, _ := mds2.Default()
	form, _ := mds2.Fill(exampleRun(), m)
	claims, err := mds2.ReadClaimsCSV(strings.NewReader(
		"Question ID,Answer\nSTCF-1,Yes\nALOF-1,Yes\nEMRG-1,Yes\n"), m)
	if err != nil {
		panic(err)
	}
	c := mds2.Compare(form.Targets[0], claims)
	for _, f := range c.Contradicted {
		fmt.Println("contradicted:", f.ID, f.Reason)
	}
	for _, f := range c.Confirmed {
		fmt.Println("confirmed:", f.ID)
	}
	for _, f := range c.Untestable {
		fmt.Println("untestable:", f.ID)
	}
	// Output:
	// contradicted: STCF-1 claimed Yes, measured No: not satisfied: HIPAA-164.312-a-2-iv
	// confirmed: ALOF-1
	// untestable: EMRG-1
}

// Table gives the rows a report section shows.
func ExampleForm_Table() {
	m, _ := mds2.Default()
	form, _ := mds2.Fill(exampleRun(), m)
	cols, rows := form.Table()
	fmt.Println(strings.Join(cols, " | "))
	for _, r := range rows {
		if r[0] == "ALOF-1" {
			fmt.Println(strings.Join(r[:3], " | "))
		}
	}
	// Output:
	// Question ID | Question | Answer | Why | Controls | Evidence
	// ALOF-1 | Can the device force a logged-in user to authenticate again after a set time without activity (logoff, session lock, locked screen saver)? | Yes
}
