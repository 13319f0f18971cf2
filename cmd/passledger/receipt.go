package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/passnumerique/passledger/internal/receipt"
)

// ReceiptCmd groups receipt subcommands.
type ReceiptCmd struct {
	Verify ReceiptVerifyCmd `cmd:"" help:"Verify a redemption receipt offline with the ledger's published keys."`
}

// ReceiptVerifyCmd checks one receipt file: the receipt object, or the whole
// redemption response that contains it under "receipt".
type ReceiptVerifyCmd struct {
	File string `arg:"" type:"existingfile" help:"Receipt JSON (or the POST /v1/redemptions response)."`
	Keys string `name:"keys" required:"" type:"existingfile" help:"The key set saved from GET /v1/keys."`
}

// Run verifies; exit 1 when the receipt does not verify.
func (c *ReceiptVerifyCmd) Run(_ *CLI, _ *slog.Logger) error {
	raw, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	var wrapper struct {
		Receipt *receipt.Receipt `json:"receipt"`
	}
	var r receipt.Receipt
	if err := json.Unmarshal(raw, &wrapper); err == nil && wrapper.Receipt != nil {
		r = *wrapper.Receipt
	} else if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%s: not a receipt: %w", c.File, err)
	}
	kraw, err := os.ReadFile(c.Keys)
	if err != nil {
		return err
	}
	var keys receipt.KeySet
	if err := json.Unmarshal(kraw, &keys); err != nil {
		return fmt.Errorf("%s: not a key set: %w", c.Keys, err)
	}
	facts, err := receipt.Verify(r, keys)
	if err != nil {
		fmt.Println("INVALID:", err)
		return exitCode(1)
	}
	fmt.Printf("valid: redemption %s of cheque %s, %s EUR owed to place %s (session %s, position %d, key %s)\n",
		facts.RedemptionID, facts.Serial, facts.Amount, facts.PlaceID, facts.SessionDate, facts.Position, r.KeyID)
	return nil
}
