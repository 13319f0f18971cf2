package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/internal/ledgerdb"
)

// TokenCmd groups token subcommands.
type TokenCmd struct {
	Create TokenCreateCmd `cmd:"" help:"Create a token; it is printed once and stored only as a hash."`
}

// TokenCreateCmd creates one token.
type TokenCreateCmd struct {
	Role  string `name:"role" required:"" enum:"admin,funder,prescriber,place,finance,auditor" help:"Role of the token."`
	Org   string `name:"org" help:"Organisation the token acts for (funder, prescriber or place id; finance: its structure). Not for admin and auditor."`
	Label string `name:"label" help:"Free label (who holds it)."`
}

// Run creates the token and prints it.
func (c *TokenCreateCmd) Run(cli *CLI, logger *slog.Logger) error {
	ctx := context.Background()
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole, Migrate: true}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	id, token, err := api.CreateToken(ctx, db.Pool, api.Role(c.Role), c.Org, c.Label)
	if err != nil {
		return err
	}
	fmt.Printf("%s\n", token)
	logger.Info("token created; it is shown once", "id", id, "role", c.Role, "org", c.Org)
	return nil
}
