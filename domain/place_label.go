package domain

import (
	"fmt"
	"time"
)

// LabelAction is a change of a place's "lieu de médiation numérique" label.
type LabelAction string

// The label actions. A label's life cycle is:
//
//	(none) --grant--> granted --suspend--> suspended --grant--> granted
//	granted or suspended --withdraw--> withdrawn (final)
const (
	LabelGrant    LabelAction = "grant"
	LabelSuspend  LabelAction = "suspend"
	LabelWithdraw LabelAction = "withdraw"
)

// LabelActions lists every valid LabelAction.
var LabelActions = []LabelAction{LabelGrant, LabelSuspend, LabelWithdraw}

// Valid reports whether a is one of LabelActions (grant, suspend or
// withdraw).
func (a LabelAction) Valid() bool { return oneOf(a, LabelActions) }

// LabelStatus is the state of a place's label at some date.
type LabelStatus string

// The label statuses.
const (
	LabelNone      LabelStatus = "none"
	LabelGranted   LabelStatus = "granted"
	LabelSuspended LabelStatus = "suspended"
	LabelWithdrawn LabelStatus = "withdrawn"
)

// LabelStatuses lists every LabelStatus.
var LabelStatuses = []LabelStatus{LabelNone, LabelGranted, LabelSuspended, LabelWithdrawn}

func (a LabelAction) status() LabelStatus {
	switch a {
	case LabelGrant:
		return LabelGranted
	case LabelSuspend:
		return LabelSuspended
	case LabelWithdraw:
		return LabelWithdrawn
	}
	return LabelNone
}

// PlaceLabelChanged grants, suspends or withdraws a place's label from a
// civil date on (the date may be in the past or the future of the decision).
// Stream: PlaceStream(PlaceID). No money moves.
type PlaceLabelChanged struct {
	PlaceID     string      `json:"place_id"`
	Action      LabelAction `json:"action"`
	EffectiveOn Date        `json:"effective_on"`
	Reason      string      `json:"reason,omitempty"`
	ChangedAt   time.Time   `json:"changed_at"`
}

// EventType returns "PlaceLabelChanged".
func (PlaceLabelChanged) EventType() string { return "PlaceLabelChanged" }

// LabelStatusOn returns the label's status on date d: the status set by the
// last change (in stream order) whose effective date is on or before d, or
// LabelNone if there is none.
func (s PlaceState) LabelStatusOn(d Date) LabelStatus {
	st := LabelNone
	for _, c := range s.Labels {
		if c.EffectiveOn.After(d) {
			break // effective dates never go backwards
		}
		st = c.Action.status()
	}
	return st
}

// LabelActiveOn reports whether the place's label is granted (not
// suspended, not withdrawn) on date d: only then may it accept a cheque for
// a session on d.
func (s PlaceState) LabelActiveOn(d Date) bool { return s.LabelStatusOn(d) == LabelGranted }

// LabelStatus returns the status after every recorded change, including
// changes effective in the future.
func (s PlaceState) LabelStatus() LabelStatus {
	if len(s.Labels) == 0 {
		return LabelNone
	}
	return s.Labels[len(s.Labels)-1].Action.status()
}

// ChangePlaceLabelCommand grants, suspends or withdraws a place's label.
type ChangePlaceLabelCommand struct {
	PlaceID     string
	Action      LabelAction
	EffectiveOn Date
	// Reason is optional free text (at most MaxNameLength characters).
	Reason string
	Now    time.Time
}

// ChangePlaceLabel returns a PlaceLabelChanged for PlaceStream(cmd.PlaceID).
// Rules (ErrInvalidLabelChange unless said otherwise): the place must be
// registered (ErrNotFound); grant only when there is no label yet or it is
// suspended; suspend only when granted; withdraw when granted or suspended;
// withdrawn is final; the effective date must not be before the previous
// change's effective date (history is a timeline, so LabelActiveOn is well
// defined). Changes are judged against the status after every previous change.
func ChangePlaceLabel(cmd ChangePlaceLabelCommand, place PlaceState) ([]Event, error) {
	if err := checkID("place_id", cmd.PlaceID); err != nil {
		return nil, err
	}
	if !place.Registered {
		return nil, fmt.Errorf("%w: place %s", ErrNotFound, cmd.PlaceID)
	}
	if place.PlaceID != cmd.PlaceID {
		return nil, invalid("place state is for %q, not %q", place.PlaceID, cmd.PlaceID)
	}
	if !cmd.Action.Valid() {
		return nil, invalid("label action %q is not grant, suspend or withdraw", cmd.Action)
	}
	if err := requireDate("effective_on", cmd.EffectiveOn); err != nil {
		return nil, err
	}
	if err := checkText("reason", cmd.Reason, false, MaxNameLength); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if n := len(place.Labels); n > 0 && cmd.EffectiveOn.Before(place.Labels[n-1].EffectiveOn) {
		return nil, fmt.Errorf("%w: effective date %s is before the previous change's %s",
			ErrInvalidLabelChange, cmd.EffectiveOn, place.Labels[n-1].EffectiveOn)
	}
	cur := place.LabelStatus()
	ok := false
	switch cmd.Action {
	case LabelGrant:
		ok = cur == LabelNone || cur == LabelSuspended
	case LabelSuspend:
		ok = cur == LabelGranted
	case LabelWithdraw:
		ok = cur == LabelGranted || cur == LabelSuspended
	}
	if !ok {
		return nil, fmt.Errorf("%w: cannot %s a label that is %s", ErrInvalidLabelChange, cmd.Action, cur)
	}
	return []Event{PlaceLabelChanged{
		PlaceID: cmd.PlaceID, Action: cmd.Action, EffectiveOn: cmd.EffectiveOn,
		Reason: trimSpace(cmd.Reason), ChangedAt: now,
	}}, nil
}
