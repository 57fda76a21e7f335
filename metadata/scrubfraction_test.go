package metadata

import "testing"

// TestScrubPassFraction places scrub cursors in a pass (the cases the
// metrics and the console each checked when they had their own copies).
func TestScrubPassFraction(t *testing.T) {
	for cursor, want := range map[string]float64{"": 0, ScrubPassDone: 1, "80000000aa.1": 0.5, "4": 0.25, "zz": 0,
		"00000000ab.0": 0, "40000000ab.3": 0.25, "c0000000ab.1": 0.75} {
		if got := (ScrubProgress{Cursor: cursor}).PassFraction(); got != want {
			t.Errorf("PassFraction(%q) = %v, want %v", cursor, got, want)
		}
	}
}
