# Acme's own requirements, checked beside Ward's catalogue.
framework "acme-prd" {
  name       = "Acme AP-9 product requirements"
  citation   = "Acme PRD-9, rev. C"
  tag_prefix = "ACME"
}

control "ACME-ALARM-1" {
  framework = "acme-prd"
  title     = "Occlusion alarm within 5 seconds"
  citations = ["Acme PRD-9 4.2", "IEC 60601-2-24 201.12.4.4.104"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    The pump sounds its occlusion alarm no later than 5 seconds after the
    infusion line is blocked downstream.
  EOT

  remediation = <<-EOT
    Sample the downstream pressure sensor at least every 500 ms and raise
    the alarm on the first reading above the occlusion threshold.
  EOT

  verification {
    method = "scenario"
  }
}
