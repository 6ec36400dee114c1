package evidence

// The subset of the OSCAL 1.2.2 JSON model that Ward writes: assessment
// results and plan of action and milestones. Field order follows the NIST
// JSON schema so the output reads like other OSCAL documents; every optional
// field is omitted when empty, because the schema forbids empty arrays and
// empty strings almost everywhere.

type oscalProp struct {
	Name    string `json:"name"`
	NS      string `json:"ns,omitempty"`
	Value   string `json:"value"`
	Class   string `json:"class,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalLink struct {
	Href      string `json:"href"`
	Rel       string `json:"rel,omitempty"`
	MediaType string `json:"media-type,omitempty"`
	Text      string `json:"text,omitempty"`
}

type oscalMetadata struct {
	Title              string                  `json:"title"`
	LastModified       string                  `json:"last-modified"`
	Version            string                  `json:"version"`
	OSCALVersion       string                  `json:"oscal-version"`
	Props              []oscalProp             `json:"props,omitempty"`
	Links              []oscalLink             `json:"links,omitempty"`
	Roles              []oscalRole             `json:"roles,omitempty"`
	Parties            []oscalParty            `json:"parties,omitempty"`
	ResponsibleParties []oscalResponsibleParty `json:"responsible-parties,omitempty"`
	Remarks            string                  `json:"remarks,omitempty"`
}

type oscalRole struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type oscalParty struct {
	UUID      string      `json:"uuid"`
	Type      string      `json:"type"`
	Name      string      `json:"name,omitempty"`
	ShortName string      `json:"short-name,omitempty"`
	Props     []oscalProp `json:"props,omitempty"`
	Links     []oscalLink `json:"links,omitempty"`
	Remarks   string      `json:"remarks,omitempty"`
}

type oscalResponsibleParty struct {
	RoleID     string   `json:"role-id"`
	PartyUUIDs []string `json:"party-uuids"`
}

type oscalImport struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

// oscalLocalDefs serves both the result's and the POA&M's local definitions;
// the fields Ward uses are common to both.
type oscalLocalDefs struct {
	InventoryItems   []oscalInventoryItem   `json:"inventory-items,omitempty"`
	AssessmentAssets *oscalAssessmentAssets `json:"assessment-assets,omitempty"`
}

type oscalInventoryItem struct {
	UUID        string      `json:"uuid"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
	Remarks     string      `json:"remarks,omitempty"`
}

type oscalAssessmentAssets struct {
	Components          []oscalComponent `json:"components,omitempty"`
	AssessmentPlatforms []oscalPlatform  `json:"assessment-platforms"`
}

type oscalComponent struct {
	UUID        string          `json:"uuid"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Props       []oscalProp     `json:"props,omitempty"`
	Status      oscalCompStatus `json:"status"`
}

type oscalCompStatus struct {
	State string `json:"state"`
}

type oscalPlatform struct {
	UUID           string           `json:"uuid"`
	Title          string           `json:"title,omitempty"`
	UsesComponents []oscalComponRef `json:"uses-components,omitempty"`
}

type oscalComponRef struct {
	ComponentUUID string `json:"component-uuid"`
}

type oscalReviewedControls struct {
	Description       string                  `json:"description,omitempty"`
	ControlSelections []oscalControlSelection `json:"control-selections"`
}

type oscalControlSelection struct {
	Description     string            `json:"description,omitempty"`
	IncludeAll      *struct{}         `json:"include-all,omitempty"`
	IncludeControls []oscalSelectByID `json:"include-controls,omitempty"`
	Props           []oscalProp       `json:"props,omitempty"`
	Remarks         string            `json:"remarks,omitempty"`
}

type oscalSelectByID struct {
	ControlID string `json:"control-id"`
}

type oscalObservation struct {
	UUID             string                  `json:"uuid"`
	Title            string                  `json:"title,omitempty"`
	Description      string                  `json:"description"`
	Props            []oscalProp             `json:"props,omitempty"`
	Methods          []string                `json:"methods"`
	Types            []string                `json:"types,omitempty"`
	Origins          []oscalOrigin           `json:"origins,omitempty"`
	Subjects         []oscalSubjectRef       `json:"subjects,omitempty"`
	RelevantEvidence []oscalRelevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        string                  `json:"collected"`
	Remarks          string                  `json:"remarks,omitempty"`
}

type oscalOrigin struct {
	Actors []oscalActor `json:"actors"`
}

type oscalActor struct {
	Type      string `json:"type"`
	ActorUUID string `json:"actor-uuid"`
}

type oscalSubjectRef struct {
	SubjectUUID string `json:"subject-uuid"`
	Type        string `json:"type"`
	Title       string `json:"title,omitempty"`
}

type oscalRelevantEvidence struct {
	Href        string      `json:"href,omitempty"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
	Links       []oscalLink `json:"links,omitempty"`
}

type oscalFinding struct {
	UUID                string                `json:"uuid"`
	Title               string                `json:"title"`
	Description         string                `json:"description"`
	Props               []oscalProp           `json:"props,omitempty"`
	Links               []oscalLink           `json:"links,omitempty"`
	Origins             []oscalOrigin         `json:"origins,omitempty"`
	Target              oscalFindingTarget    `json:"target"`
	RelatedObservations []oscalRelatedObs     `json:"related-observations,omitempty"`
	RelatedRisks        []oscalAssociatedRisk `json:"related-risks,omitempty"`
	Remarks             string                `json:"remarks,omitempty"`
}

type oscalFindingTarget struct {
	Type                 string               `json:"type"`
	TargetID             string               `json:"target-id"`
	Title                string               `json:"title,omitempty"`
	Description          string               `json:"description,omitempty"`
	Props                []oscalProp          `json:"props,omitempty"`
	Status               oscalObjectiveStatus `json:"status"`
	ImplementationStatus *oscalImplStatus     `json:"implementation-status,omitempty"`
	Remarks              string               `json:"remarks,omitempty"`
}

type oscalObjectiveStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalImplStatus struct {
	State   string `json:"state"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalRelatedObs struct {
	ObservationUUID string `json:"observation-uuid"`
}

type oscalAssociatedRisk struct {
	RiskUUID string `json:"risk-uuid"`
}

type oscalRelatedFinding struct {
	FindingUUID string `json:"finding-uuid"`
}

type oscalBackMatter struct {
	Resources []oscalResource `json:"resources"`
}

type oscalResource struct {
	UUID        string       `json:"uuid"`
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Props       []oscalProp  `json:"props,omitempty"`
	RLinks      []oscalRLink `json:"rlinks,omitempty"`
	Remarks     string       `json:"remarks,omitempty"`
}

type oscalRLink struct {
	Href      string      `json:"href"`
	MediaType string      `json:"media-type,omitempty"`
	Hashes    []oscalHash `json:"hashes,omitempty"`
}

type oscalHash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// oscalPOAM is the POA&M's shape (the tests decode with it); the document
// itself, like the assessment results, is written in this field order by
// writePOAM and writeAssessmentResults, element by element.
type oscalPOAM struct {
	UUID             string             `json:"uuid"`
	Metadata         oscalMetadata      `json:"metadata"`
	LocalDefinitions *oscalLocalDefs    `json:"local-definitions,omitempty"`
	Observations     []oscalObservation `json:"observations,omitempty"`
	Risks            []oscalRisk        `json:"risks,omitempty"`
	Findings         []oscalFinding     `json:"findings,omitempty"`
	POAMItems        []oscalPOAMItem    `json:"poam-items"`
	BackMatter       *oscalBackMatter   `json:"back-matter,omitempty"`
}

type oscalRisk struct {
	UUID                string            `json:"uuid"`
	Title               string            `json:"title"`
	Description         string            `json:"description"`
	Statement           string            `json:"statement"`
	Props               []oscalProp       `json:"props,omitempty"`
	Status              string            `json:"status"`
	Origins             []oscalOrigin     `json:"origins,omitempty"`
	Deadline            string            `json:"deadline,omitempty"`
	Remediations        []oscalResponse   `json:"remediations,omitempty"`
	RelatedObservations []oscalRelatedObs `json:"related-observations,omitempty"`
}

type oscalResponse struct {
	UUID        string        `json:"uuid"`
	Lifecycle   string        `json:"lifecycle"`
	Title       string        `json:"title"`
	Description string        `json:"description"`
	Props       []oscalProp   `json:"props,omitempty"`
	Origins     []oscalOrigin `json:"origins,omitempty"`
	Tasks       []oscalTask   `json:"tasks,omitempty"`
}

type oscalTask struct {
	UUID        string       `json:"uuid"`
	Type        string       `json:"type"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	Timing      *oscalTiming `json:"timing,omitempty"`
}

type oscalTiming struct {
	OnDate *oscalOnDate `json:"on-date,omitempty"`
}

type oscalOnDate struct {
	Date string `json:"date"`
}

type oscalPOAMItem struct {
	UUID                string                `json:"uuid"`
	Title               string                `json:"title"`
	Description         string                `json:"description"`
	Props               []oscalProp           `json:"props,omitempty"`
	Origins             []oscalOrigin         `json:"origins,omitempty"`
	RelatedFindings     []oscalRelatedFinding `json:"related-findings,omitempty"`
	RelatedObservations []oscalRelatedObs     `json:"related-observations,omitempty"`
	RelatedRisks        []oscalAssociatedRisk `json:"related-risks,omitempty"`
	Remarks             string                `json:"remarks,omitempty"`
}
