// Package monitor learns per-device behaviour baselines and raises
// structured, audited alerts on anomalies: traffic spikes (per device and
// per zone, against fixed thresholds or a learned baseline), connections
// to destinations never seen during the learning period, privileged
// actions at hours with no privileged activity in the baseline, and
// unknown devices. Time comes from an injectable clock so simulators and
// tests control it; nothing sleeps. pkg/segment's Guard uses it to
// quarantine spiking devices and zones.
package monitor
