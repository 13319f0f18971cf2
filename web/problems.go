package web

import (
	"strings"

	"github.com/passnumerique/passledger/api"
)

// frenchProblems says, in French and for the person at the counter, what each
// API problem type means and what to do. Types not listed fall back to their
// status class.
var frenchProblems = map[string]string{
	// Redemption.
	"cheque-already-redeemed": "Ce chèque a déjà été encaissé : un chèque ne peut être encaissé qu'une seule fois. Ne l'acceptez pas une seconde fois.",
	"invalid-serial":          "Ce numéro de chèque n'existe pas. Vérifiez le numéro imprimé sur le chèque (par exemple K7Q2M9XA-0347) : une faute de frappe est détectée.",
	"invalid-check-code":      "Le code de contrôle ne correspond pas à ce chèque. Vérifiez les 6 chiffres imprimés à côté du numéro.",
	"carnet-not-issued":       "Ce chèque vient d'un carnet qui n'a pas encore été remis à un bénéficiaire : il ne peut pas être encaissé.",
	"cheque-blocked":          "Ce chèque est bloqué : son carnet a été déclaré perdu ou volé. Ne l'acceptez pas.",
	"cheque-expired":          "Ce chèque a expiré : la période de validité de son programme est terminée.",
	"outside-validity":        "La date de la séance est en dehors de la période de validité du programme de ce chèque.",
	"session-in-future":       "La date de la séance ne peut pas être dans le futur : indiquez le jour où la séance a eu lieu.",
	"place-not-labelled":      "Votre lieu n'était pas labellisé à la date de la séance : le chèque ne peut pas être accepté. Contactez l'opérateur du dispositif.",
	"place-outside-territory": "Ce chèque n'est valable que sur le territoire de son programme, et votre lieu est situé ailleurs.",
	"not-your-redemption":     "Cet encaissement a été fait par un autre lieu.",
	"reversal-window-closed":  "Le délai de 48 heures pour annuler cet encaissement est dépassé.",
	// Issuing carnets.
	"not-your-carnet":                "Ce carnet ne fait pas partie de votre stock.",
	"carnet-already-issued":          "Ce carnet a déjà été remis à un bénéficiaire.",
	"carnet-cancelled":               "Ce carnet a été annulé (perdu ou volé) : il ne peut plus être remis.",
	"invalid-beneficiary-ref":        "La référence du bénéficiaire n'est pas valide : utilisez votre numéro de dossier (lettres sans accent, chiffres, - _ . /), jamais un nom ni une adresse.",
	"beneficiary-already-has-carnet": "Ce bénéficiaire a déjà reçu un carnet de ce programme : un seul carnet par personne et par programme.",
	"programme-closed":               "Le programme de ce carnet est clos.",
	// Generic.
	"not-found":              "Introuvable : vérifiez le numéro saisi.",
	"malformed-request":      "Le formulaire est incomplet ou mal rempli : vérifiez chaque champ.",
	"invalid-argument":       "Une des valeurs saisies n'est pas valide : vérifiez chaque champ.",
	"forbidden":              "Votre accès ne permet pas cette opération.",
	"unauthenticated":        "Votre session a expiré. Reconnectez-vous, puis recommencez.",
	"idempotency-key-reused": "Ce formulaire a déjà été envoyé avec d'autres valeurs. Rechargez la page, puis recommencez.",
	"contention":             "Le service est très sollicité et rien n'a été enregistré. Réessayez dans un instant.",
	"unavailable":            "Le service est momentanément indisponible et rien n'a été enregistré. Réessayez dans un instant.",
	"projection-lagging":     "Les chiffres sont en cours de mise à jour. Rechargez la page dans un instant.",
}

// FrenchMessage returns the sentence shown for a problem.
func FrenchMessage(pr api.Problem) string {
	slug := strings.TrimPrefix(pr.Type, api.ProblemBase)
	if m, ok := frenchProblems[slug]; ok {
		return m
	}
	switch {
	case pr.Status >= 500:
		return "Une erreur interne est survenue ; elle a été consignée et rien n'a été enregistré. Réessayez plus tard."
	case pr.Status == 409:
		return "L'opération contredit l'état actuel du registre et a été refusée."
	default:
		return "L'opération a été refusée : vérifiez les valeurs saisies."
	}
}
