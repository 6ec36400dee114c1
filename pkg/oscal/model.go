package oscal

// The subset of the OSCAL 1.2.2 JSON model that Ward writes: assessment
// results and plan of action and milestones. Field order follows the NIST
// JSON schema so the output reads like other OSCAL documents; every optional
// field is omitted when empty, because the schema forbids empty arrays and
// empty strings almost everywhere.

// Prop is the OSCAL prop object.
type Prop struct {
	Name    string `json:"name"`
	NS      string `json:"ns,omitempty"`
	Value   string `json:"value"`
	Class   string `json:"class,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// Link is the OSCAL link object.
type Link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel,omitempty"`
	MediaType string `json:"media-type,omitempty"`
	Text      string `json:"text,omitempty"`
}

// Metadata is the OSCAL metadata object.
type Metadata struct {
	Title              string             `json:"title"`
	LastModified       string             `json:"last-modified"`
	Version            string             `json:"version"`
	OSCALVersion       string             `json:"oscal-version"`
	Props              []Prop             `json:"props,omitempty"`
	Links              []Link             `json:"links,omitempty"`
	Roles              []Role             `json:"roles,omitempty"`
	Parties            []Party            `json:"parties,omitempty"`
	ResponsibleParties []ResponsibleParty `json:"responsible-parties,omitempty"`
	Remarks            string             `json:"remarks,omitempty"`
}

// Role is the OSCAL role object.
type Role struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Party is the OSCAL party object.
type Party struct {
	UUID      string `json:"uuid"`
	Type      string `json:"type"`
	Name      string `json:"name,omitempty"`
	ShortName string `json:"short-name,omitempty"`
	Props     []Prop `json:"props,omitempty"`
	Links     []Link `json:"links,omitempty"`
	Remarks   string `json:"remarks,omitempty"`
}

// ResponsibleParty is the OSCAL responsible-party object.
type ResponsibleParty struct {
	RoleID     string   `json:"role-id"`
	PartyUUIDs []string `json:"party-uuids"`
}

// Import is the OSCAL import object.
type Import struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

// LocalDefinitions serves both the result's and the POA&M's local definitions;
// the fields Ward uses are common to both.
// LocalDefinitions is the OSCAL local-definitions object.
type LocalDefinitions struct {
	InventoryItems   []InventoryItem   `json:"inventory-items,omitempty"`
	AssessmentAssets *AssessmentAssets `json:"assessment-assets,omitempty"`
}

// InventoryItem is the OSCAL inventory-item object.
type InventoryItem struct {
	UUID        string `json:"uuid"`
	Description string `json:"description"`
	Props       []Prop `json:"props,omitempty"`
	Remarks     string `json:"remarks,omitempty"`
}

// AssessmentAssets is the OSCAL assessment-assets object.
type AssessmentAssets struct {
	Components          []Component `json:"components,omitempty"`
	AssessmentPlatforms []Platform  `json:"assessment-platforms"`
}

// Component is the OSCAL component object.
type Component struct {
	UUID        string          `json:"uuid"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Props       []Prop          `json:"props,omitempty"`
	Status      ComponentStatus `json:"status"`
}

// ComponentStatus is the OSCAL component-status object.
type ComponentStatus struct {
	State string `json:"state"`
}

// Platform is the OSCAL platform object.
type Platform struct {
	UUID           string         `json:"uuid"`
	Title          string         `json:"title,omitempty"`
	UsesComponents []ComponentRef `json:"uses-components,omitempty"`
}

// ComponentRef is the OSCAL component-ref object.
type ComponentRef struct {
	ComponentUUID string `json:"component-uuid"`
}

// ReviewedControls is the OSCAL reviewed-controls object.
type ReviewedControls struct {
	Description       string             `json:"description,omitempty"`
	ControlSelections []ControlSelection `json:"control-selections"`
}

// ControlSelection is the OSCAL control-selection object.
type ControlSelection struct {
	Description     string       `json:"description,omitempty"`
	IncludeAll      *struct{}    `json:"include-all,omitempty"`
	IncludeControls []SelectByID `json:"include-controls,omitempty"`
	Props           []Prop       `json:"props,omitempty"`
	Remarks         string       `json:"remarks,omitempty"`
}

// SelectByID is the OSCAL select-by-i-d object.
type SelectByID struct {
	ControlID string `json:"control-id"`
}

// Observation is the OSCAL observation object.
type Observation struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title,omitempty"`
	Description      string             `json:"description"`
	Props            []Prop             `json:"props,omitempty"`
	Methods          []string           `json:"methods"`
	Types            []string           `json:"types,omitempty"`
	Origins          []Origin           `json:"origins,omitempty"`
	Subjects         []SubjectRef       `json:"subjects,omitempty"`
	RelevantEvidence []RelevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        string             `json:"collected"`
	Remarks          string             `json:"remarks,omitempty"`
}

// Origin is the OSCAL origin object.
type Origin struct {
	Actors []Actor `json:"actors"`
}

// Actor is the OSCAL actor object.
type Actor struct {
	Type      string `json:"type"`
	ActorUUID string `json:"actor-uuid"`
}

// SubjectRef is the OSCAL subject-ref object.
type SubjectRef struct {
	SubjectUUID string `json:"subject-uuid"`
	Type        string `json:"type"`
	Title       string `json:"title,omitempty"`
}

// RelevantEvidence is the OSCAL relevant-evidence object.
type RelevantEvidence struct {
	Href        string `json:"href,omitempty"`
	Description string `json:"description"`
	Props       []Prop `json:"props,omitempty"`
	Links       []Link `json:"links,omitempty"`
}

// Finding is the OSCAL finding object.
type Finding struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []Prop               `json:"props,omitempty"`
	Links               []Link               `json:"links,omitempty"`
	Origins             []Origin             `json:"origins,omitempty"`
	Target              FindingTarget        `json:"target"`
	RelatedObservations []RelatedObservation `json:"related-observations,omitempty"`
	RelatedRisks        []AssociatedRisk     `json:"related-risks,omitempty"`
	Remarks             string               `json:"remarks,omitempty"`
}

// FindingTarget is the OSCAL finding-target object.
type FindingTarget struct {
	Type                 string                `json:"type"`
	TargetID             string                `json:"target-id"`
	Title                string                `json:"title,omitempty"`
	Description          string                `json:"description,omitempty"`
	Props                []Prop                `json:"props,omitempty"`
	Status               ObjectiveStatus       `json:"status"`
	ImplementationStatus *ImplementationStatus `json:"implementation-status,omitempty"`
	Remarks              string                `json:"remarks,omitempty"`
}

// ObjectiveStatus is the OSCAL objective-status object.
type ObjectiveStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// ImplementationStatus is the OSCAL implementation-status object.
type ImplementationStatus struct {
	State   string `json:"state"`
	Remarks string `json:"remarks,omitempty"`
}

// RelatedObservation is the OSCAL related-observation object.
type RelatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}

// AssociatedRisk is the OSCAL associated-risk object.
type AssociatedRisk struct {
	RiskUUID string `json:"risk-uuid"`
}

// RelatedFinding is the OSCAL related-finding object.
type RelatedFinding struct {
	FindingUUID string `json:"finding-uuid"`
}

// BackMatter is the OSCAL back-matter object.
type BackMatter struct {
	Resources []Resource `json:"resources"`
}

// Resource is the OSCAL resource object.
type Resource struct {
	UUID        string  `json:"uuid"`
	Title       string  `json:"title,omitempty"`
	Description string  `json:"description,omitempty"`
	Props       []Prop  `json:"props,omitempty"`
	RLinks      []RLink `json:"rlinks,omitempty"`
	Remarks     string  `json:"remarks,omitempty"`
}

// RLink is the OSCAL r-link object.
type RLink struct {
	Href      string `json:"href"`
	MediaType string `json:"media-type,omitempty"`
	Hashes    []Hash `json:"hashes,omitempty"`
}

// Hash is the OSCAL hash object.
type Hash struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
}

// POAM is the POA&M's shape (the tests decode with it); the document
// itself, like the assessment results, is written in this field order by
// writePOAM and writeAssessmentResults, element by element.
// POAM is the OSCAL p-o-a-m object.
type POAM struct {
	UUID             string            `json:"uuid"`
	Metadata         Metadata          `json:"metadata"`
	LocalDefinitions *LocalDefinitions `json:"local-definitions,omitempty"`
	Observations     []Observation     `json:"observations,omitempty"`
	Risks            []Risk            `json:"risks,omitempty"`
	Findings         []Finding         `json:"findings,omitempty"`
	POAMItems        []POAMItem        `json:"poam-items"`
	BackMatter       *BackMatter       `json:"back-matter,omitempty"`
}

// Risk is the OSCAL risk object.
type Risk struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Statement           string               `json:"statement"`
	Props               []Prop               `json:"props,omitempty"`
	Status              string               `json:"status"`
	Origins             []Origin             `json:"origins,omitempty"`
	Deadline            string               `json:"deadline,omitempty"`
	Remediations        []Response           `json:"remediations,omitempty"`
	RelatedObservations []RelatedObservation `json:"related-observations,omitempty"`
}

// Response is the OSCAL response object.
type Response struct {
	UUID        string   `json:"uuid"`
	Lifecycle   string   `json:"lifecycle"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Props       []Prop   `json:"props,omitempty"`
	Origins     []Origin `json:"origins,omitempty"`
	Tasks       []Task   `json:"tasks,omitempty"`
}

// Task is the OSCAL task object.
type Task struct {
	UUID        string  `json:"uuid"`
	Type        string  `json:"type"`
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Timing      *Timing `json:"timing,omitempty"`
}

// Timing is the OSCAL timing object.
type Timing struct {
	OnDate *OnDate `json:"on-date,omitempty"`
}

// OnDate is the OSCAL on-date object.
type OnDate struct {
	Date string `json:"date"`
}

// POAMItem is the OSCAL p-o-a-m-item object.
type POAMItem struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []Prop               `json:"props,omitempty"`
	Origins             []Origin             `json:"origins,omitempty"`
	RelatedFindings     []RelatedFinding     `json:"related-findings,omitempty"`
	RelatedObservations []RelatedObservation `json:"related-observations,omitempty"`
	RelatedRisks        []AssociatedRisk     `json:"related-risks,omitempty"`
	Remarks             string               `json:"remarks,omitempty"`
}
