framework "HIPAA Rule" {
  name       = ""
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA-"
  url        = "ftp://example.org"
}

framework "fda-premarket" {
  name       = "FDA premarket guidance"
  citation   = "Appendix 1"
  tag_prefix = "FDA-PMC"
}
