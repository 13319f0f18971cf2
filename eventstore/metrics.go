package eventstore

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the event store's Prometheus instruments. Create them once per
// registry with NewMetrics; a Store built without Metrics records nothing.
type Metrics struct {
	AppendDuration *prometheus.HistogramVec
	EventsAppended prometheus.Counter
	Conflicts      prometheus.Counter
	Replays        prometheus.Counter
	// GroupSize is the number of appends committed together (group commit).
	GroupSize prometheus.Histogram
	// GroupDuration is the time from a group's start to its commit.
	GroupDuration prometheus.Histogram
}

// NewMetrics creates the instruments and registers them with reg (nil: not
// registered, useful in benchmarks).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		AppendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "passledger_eventstore_append_duration_seconds",
			Help:    "Time to append one command's events, by outcome (ok, conflict, duplicate, error).",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"outcome"}),
		EventsAppended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "passledger_eventstore_events_appended_total",
			Help: "Events written to the event store.",
		}),
		Conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "passledger_eventstore_append_conflicts_total",
			Help: "Appends refused because a stream was not at the expected version.",
		}),
		Replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "passledger_eventstore_idempotent_replays_total",
			Help: "Appends answered from an earlier append with the same idempotency key.",
		}),
		GroupSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "passledger_eventstore_group_size",
			Help:    "Appends (commands) written in one transaction by group commit.",
			Buckets: []float64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64},
		}),
		GroupDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "passledger_eventstore_group_duration_seconds",
			Help:    "Time from a group's first statement to its commit.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.AppendDuration, m.EventsAppended, m.Conflicts, m.Replays, m.GroupSize, m.GroupDuration)
	}
	return m
}
