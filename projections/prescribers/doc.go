// Package prescribers is the prescriber-stock projection (SPEC §2 and §5): the
// carnets each prescriber holds in stock, has issued and has cancelled, and how
// many it issued by the beneficiary's public need level (urgence, inclusion,
// autonomie) and to job seekers, overall and per programme.
//
// Tables: prescriber_info (registration) and prescriber_carnets (one row per
// carnet: its prescriber, programme, size, face value, status, and once issued the
// need level and job-seeker flag). Stock aggregates a prescriber's rows.
//
// What it must not do: hold anything about a beneficiary beyond the public
// category recorded in CarnetIssued (not even the beneficiary's keyed hash), or read
// another projection's tables.
package prescribers
