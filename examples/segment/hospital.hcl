# A small hospital: infusion pumps in their own zone, talking only to the
# EHR integration engine and the central monitoring station; clinical
# workstations may reach the pumps' web UI; guests reach only the internet.
# Used by pkg/segment tests, the CLI tests and the namespace tests.

local_networks = ["10.77.0.0/16"]

zone "medical-devices" {
  cidrs = ["10.77.10.0/24"]

  # Pumps send a few flows a minute; 50 in ten seconds is an attack or a
  # fault. A spike shuts the whole segment down (monitoring stays up).
  spike {
    window             = "10s"
    device_limit       = 50
    zone_limit         = 200
    calm               = "60s"
    quarantine_segment = true
  }
}

zone "clinical" {
  cidrs = ["10.77.20.0/24"]
}

zone "ehr" {
  cidrs = ["10.77.30.0/24"]
}

zone "guest" {
  cidrs = ["10.77.40.0/24"]
}

controller "urn:ietf:params:mud:dns" {
  addresses = ["10.77.30.53"]
}

profile "acme-pump" {
  manufacturer = "acme-medical.example"
  model        = "https://acme-medical.example/mud/pump-9000.json"

  allow "ehr-fhir" {
    direction = "egress"
    peer      = "zone:ehr"
    proto     = "tcp"
    ports     = ["443"]
  }

  allow "dns" {
    direction = "egress"
    peer      = "controller:urn:ietf:params:mud:dns"
    proto     = "udp"
    ports     = ["53"]
  }

  allow "telemetry" {
    direction = "egress"
    peer      = "device:monitor-station"
    proto     = "tcp"
    ports     = ["8443"]
  }

  allow "clinician-ui" {
    direction = "ingress"
    peer      = "zone:clinical"
    proto     = "tcp"
    ports     = ["443"]
  }
}

device "pump-1" {
  address = "10.77.10.5"
  zone    = "medical-devices"
  type    = "infusion-pump"
  profile = "acme-pump"
}

device "pump-2" {
  address = "10.77.10.6"
  zone    = "medical-devices"
  type    = "infusion-pump"
  profile = "acme-pump"
}

device "monitor-station" {
  address = "10.77.20.10"
  zone    = "clinical"
  type    = "central-monitor"
}

device "ehr-engine" {
  address = "10.77.30.20"
  zone    = "ehr"
  type    = "integration-engine"
}

# Pump telemetry to the monitoring station stays open in quarantine, so
# nurses still see the pumps while the segment is shut.
conduit "pump-telemetry" {
  from       = "medical-devices"
  to         = "clinical"
  proto      = "tcp"
  ports      = ["8443"]
  monitoring = true
}

conduit "clinical-to-ehr" {
  from  = "clinical"
  to    = "ehr"
  proto = "tcp"
  ports = ["443"]
}

conduit "guest-internet" {
  from = "guest"
  to   = "external"
}
