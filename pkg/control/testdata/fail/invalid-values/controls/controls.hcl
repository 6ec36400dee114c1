control "FDA-PMC-LOG 2" {
  framework   = "fda-premarket"
  titel       = "Log protection"
  title       = "Log protection"
  citations   = []
  status      = "guidance"
  severity    = 3
  requirement = "   "
  crosswalk "IEC 62443" { refs = ["CR 3.9"] }
  crosswalk "mds2" { refs = ["AUDT"] }
  crosswalk "mds2" { refs = [""] }
  verification {
    method   = "scenario"
    evidence = ["log-review"]
    max_age  = "30d"
  }
}

control "FDA-PMC-TRAIN-1" {
  framework   = "fda-premarket"
  title       = "Training"
  citations   = "App1"
  status      = "guidance"
  severity    = "low"
  requirement = "Staff are trained."
  verification {
    method  = "attestation"
    max_age = "1 year"
  }
}
