package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections"
)

// recorder is a Registerer that keeps the collectors it is given.
type recorder struct{ cs []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error   { r.cs = append(r.cs, c); return nil }
func (r *recorder) MustRegister(cs ...prometheus.Collector) { r.cs = append(r.cs, cs...) }
func (r *recorder) Unregister(prometheus.Collector) bool    { return false }

var fqName = regexp.MustCompile(`fqName: "([a-zA-Z0-9_:]+)"`)

var variableLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)

// exportedMetrics returns the metrics passledger exports (serve and project), with
// the series names of histograms (_bucket, _sum, _count), each with its labels
// (those of the metric, plus the ones Prometheus adds when scraping: instance,
// job; le for a histogram's buckets).
func exportedMetrics(t *testing.T) map[string]map[string]bool {
	t.Helper()
	rec := &recorder{}
	eventstore.NewMetrics(rec)
	if _, err := projections.RegisterMetrics(rec); err != nil {
		t.Fatal(err)
	}
	hm, err := newHTTPMetrics(rec)
	if err != nil {
		t.Fatal(err)
	}
	_ = hm
	out := map[string]map[string]bool{}
	for _, c := range rec.cs {
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		_, vec := c.(*prometheus.HistogramVec)
		_, one := c.(prometheus.Histogram)
		histogram := vec || one
		for d := range ch {
			m := fqName.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read the name of %s", d)
			}
			labels := map[string]bool{"instance": true, "job": true}
			if l := variableLabels.FindStringSubmatch(d.String()); l != nil && l[1] != "" {
				for _, name := range strings.Split(l[1], ",") {
					labels[strings.TrimSpace(name)] = true
				}
			}
			out[m[1]] = labels
			if histogram {
				labels["le"] = true
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					out[m[1]+s] = labels
				}
			}
		}
	}
	return out
}

// TestDashboard loads deploy/grafana/passledger.json and checks that every
// panel queries Prometheus, that every metric a query names is one that
// passledger exports, and that every label a query groups by ("by (…)") is a
// label of the metrics it names; the projection lag is shown per worker
// (instance) and partition.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/passledger.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard without uid, title or panels")
	}
	known := exportedMetrics(t)
	name := regexp.MustCompile(`\bpassledger_[a-z0-9_]+`)
	used := map[string]bool{}
	byClause := regexp.MustCompile(`\bby \(([^)]*)\)`)
	lagByWorkerPartition := false
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := name.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no passledger metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				if known[n] == nil {
					t.Errorf("panel %q: %s is not an exported metric", p.Title, n)
				}
				used[strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count")] = true
			}
			for _, by := range byClause.FindAllStringSubmatch(tg.Expr, -1) {
				for _, label := range strings.Split(by[1], ",") {
					label = strings.TrimSpace(label)
					for _, n := range names {
						if known[n] != nil && !known[n][label] {
							t.Errorf("panel %q: groups by %q, which %s does not have", p.Title, label, n)
						}
					}
				}
			}
			if strings.Contains(tg.Expr, "passledger_projection_lag_events") {
				lagByWorkerPartition = lagByWorkerPartition || regexp.MustCompile(`by \([^)]*instance[^)]*partition|by \([^)]*partition[^)]*instance`).MatchString(tg.Expr)
			}
		}
	}
	if !lagByWorkerPartition {
		t.Error("no panel shows the projection lag by worker (instance) and partition")
	}
	for _, must := range []string{"passledger_eventstore_events_appended_total", "passledger_eventstore_append_duration_seconds",
		"passledger_eventstore_group_size", "passledger_eventstore_append_conflicts_total", "passledger_projection_lag_events",
		"passledger_http_request_duration_seconds", "passledger_redemptions_applied_total"} {
		if !used[must] {
			t.Errorf("no panel shows %s", must)
		}
	}
}
