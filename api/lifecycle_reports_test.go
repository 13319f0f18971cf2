package api_test

import "testing"

// checkReports asserts the reports at the end of the life cycle.
func (l *lifecycle) checkReports(t *testing.T) {}
