// Package cheques is the cheque-status projection (SPEC §5: cheque status by
// serial): where every cheque stands (in stock, issued, redeemed, reversed and so
// redeemable again, expired, blocked), whether its redemption was claimed by a
// reimbursement batch and paid, and its history.
//
// Tables:
//
//   - cheque_carnets: one row per minted carnet (programme, prescriber, size, face
//     value, in_stock / issued / cancelled, the beneficiary's public need level);
//   - cheques: one row per cheque whose own stream has an event (redeemed,
//     reversed, claimed, expired, blocked). A cheque never touched has no row: its
//     status is its carnet's (in stock or issued). Minting a carnet of ten cheques
//     therefore writes one row, not eleven;
//   - cheque_batches: reimbursement batches (cut-off, paid on), so a claimed
//     redemption shows as paid once its batch is;
//   - cheque_history and cheque_carnet_history: the events of each cheque and of
//     each carnet, merged in log order by Cheque.
//
// Queries: Cheque (status and history by serial), UnclaimedRedemptions (the
// candidates of a reimbursement batch), CountByStatus.
//
// What it must not do: decide anything (a redemption's validity is the write side's
// rule; Redeemable is informative), read another projection's tables, or keep any
// personal data (a carnet's beneficiary is not even stored as its hash).
package cheques
