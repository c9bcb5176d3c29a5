// Package harness turns user-facing run descriptions (a scenario, a policy
// with parameters, a seed, an engine) into simulations, gives every run a
// stable identity, and writes its events and runs table.
package harness
