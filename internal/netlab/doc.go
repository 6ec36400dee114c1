// Package netlab builds small networks out of Linux network namespaces and
// veth pairs for tests that need real packets through a real firewall.
// Every namespace carries a per-run prefix so parallel runs never collide,
// and Close removes them all. Namespace switching is per OS thread, so
// every call that enters a namespace locks its goroutine to the thread and
// restores the thread's namespace before unlocking.
package netlab
