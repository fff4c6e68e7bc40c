package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/protocol"
)

// Defaults and environment variables of the device simulator.
const (
	defaultPublicURL = "http://127.0.0.1:8080"
	envPublicURL     = "MAUTH_PUBLIC_URL"
	envPIN           = "MAUTH_PIN"
)

// deviceFlags are the flags shared by the device commands.
type deviceFlags struct {
	state string
	pin   string
	url   string
}

// newDeviceCommand builds `mauth device`: a simulated mobile device on the
// Go device client, talking to the public API.
func newDeviceCommand() *cobra.Command {
	var df deviceFlags
	cmd := &cobra.Command{
		Use:   "device",
		Short: "Simulate a mobile device: activate, check status, sign, tokens, vault (calls the public API)",
		Long: `Simulate a mobile device with the Go device client. The device state (its
keys, the signature counter, the knowledge key wrapped with a key derived from
the PIN, tokens, and the server URL and SDK configuration needed to continue)
lives in the --state file, written with owner-only permissions.

A wrong PIN is not detected locally, only by the server, as on a phone.
PINs come from --pin or the ` + envPIN + ` environment variable.`,
	}
	p := cmd.PersistentFlags()
	p.StringVar(&df.state, "state", "", "device state file (required)")
	p.StringVar(&df.pin, "pin", "", "the device PIN (env "+envPIN+")")
	p.StringVar(&df.url, "url", "", "public API URL of the server (activate: default "+defaultPublicURL+" or env "+envPublicURL+"; other commands: the URL in the state file)")
	cmd.AddCommand(
		newDeviceActivateCommand(&df),
		newDeviceStatusCommand(&df),
		newDeviceSignCommand(&df),
		newDeviceTokenCommand(&df),
		newDeviceUnlockCommand(&df),
		newDeviceRemoveCommand(&df),
		newDeviceOIDCConfigCommand(&df),
		newDeviceMineCommand(&df),
	)
	cmd.AddCommand(newDeviceOpsCommands(&df)...) // device_ops.go
	return cmd
}

// pinValue returns the PIN from the flag or the environment.
func (df *deviceFlags) pinValue() (string, error) {
	pin := df.pin
	if pin == "" {
		pin = os.Getenv(envPIN)
	}
	if pin == "" {
		return "", fmt.Errorf("a PIN is required: set --pin or %s", envPIN)
	}
	return pin, nil
}

// load reads the state file and applies a --url override.
func (df *deviceFlags) load() (*deviceState, *client.Client, error) {
	st, err := loadDeviceState(df.state)
	if err != nil {
		return nil, nil, err
	}
	if df.url != "" {
		st.URL = df.url
	}
	c, err := st.client()
	if err != nil {
		return nil, nil, err
	}
	return st, c, nil
}

// factors parses --factors; the PIN is needed when knowledge is a factor.
func (df *deviceFlags) factors(name string) (client.Factors, error) {
	t, err := protocol.ParseSignatureType(strings.ToLower(strings.TrimSpace(name)))
	if err != nil {
		return client.Factors{}, fmt.Errorf("--factors must be one of possession, possession_knowledge, possession_biometry, possession_knowledge_biometry")
	}
	f := client.Factors{Type: t}
	if strings.Contains(string(t), "knowledge") {
		if f.PIN, err = df.pinValue(); err != nil {
			return client.Factors{}, err
		}
	}
	return f, nil
}

// loadSigning is load followed by factors(name).
func (df *deviceFlags) loadSigning(name string) (*deviceState, *client.Client, client.Factors, error) {
	st, c, err := df.load()
	if err != nil {
		return nil, nil, client.Factors{}, err
	}
	f, err := df.factors(name)
	if err != nil {
		return nil, nil, client.Factors{}, err
	}
	return st, c, f, nil
}

// saveAfter saves the state after a signed call (its counter advanced
// whether or not the server accepted it) and then reports callErr, if
// any, with deviceError(what, callErr).
func (df *deviceFlags) saveAfter(st *deviceState, callErr error, what string) error {
	if err := st.save(df.state); err != nil {
		return err
	}
	if callErr != nil {
		return deviceError(what, callErr)
	}
	return nil
}

// deviceError explains an error answer of the server.
func deviceError(what string, err error) error {
	var api *client.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("%s: the server answered HTTP %d %s (%s)", what, api.HTTPStatus, api.Code, api.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func newDeviceActivateCommand(df *deviceFlags) *cobra.Command {
	var (
		sdkConfig, code, version, name, otp, platform string
		recoveryCode, puk                             string
		oidcID                                        client.OIDCIdentity
		credentials                                   []string
		force                                         bool
	)
	cmd := &cobra.Command{
		Use:   "activate --state FILE --sdk-config STRING --code CODE --pin PIN",
		Short: "Activate a new device and write its state file",
		Long: `Activate a new device against the public API and write its state file.

Activate with one of:
  --code CODE                   an activation code, or the scanned QR code string
                                CODE#signature (the signature is checked with the
                                application's master public key)
  --credential KEY=VALUE ...    custom credentials that the server's identity
                                provider maps to a user
  --recovery-code CODE --puk P  a recovery code and PUK of a lost device
  --oidc-provider ID --oidc-code CODE --oidc-nonce NONCE [--oidc-code-verifier V]
                                an authorization code of the application's OpenID
                                provider (see 'mauth device oidc-config'); the server
                                exchanges it and activates for the user of the
                                verified ID token

A code activation waits in PENDING_COMMIT until the bank's backend commits it
('mauth activation commit'), unless the activation OTP was checked in the key
exchange (--otp with an activation initialised with --otp-mode ON_KEY_EXCHANGE).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if df.state == "" || sdkConfig == "" {
				return errors.New("--state and --sdk-config are required")
			}
			methods := 0
			for _, set := range []bool{code != "", len(credentials) > 0, recoveryCode != "", oidcID.ProviderID != ""} {
				if set {
					methods++
				}
			}
			if methods != 1 {
				return errors.New("activate with exactly one of --code, --credential, --recovery-code or --oidc-provider")
			}
			if (oidcID.ProviderID != "") != (oidcID.Code != "" && oidcID.Nonce != "") || (oidcID.ProviderID == "" && oidcID.CodeVerifier != "") {
				return errors.New("--oidc-provider, --oidc-code and --oidc-nonce go together (--oidc-code-verifier with them)")
			}
			if (recoveryCode != "") != (puk != "") {
				return errors.New("--recovery-code and --puk go together")
			}
			if _, err := os.Stat(df.state); err == nil && !force {
				return fmt.Errorf("%s exists: it may hold another activation (use --force to replace it)", df.state)
			}
			pin, err := df.pinValue()
			if err != nil {
				return err
			}
			if w := weakPINWarning(pin); w != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), w)
			}
			serverURL := df.url
			if serverURL == "" {
				serverURL = envOr(envPublicURL, defaultPublicURL)
			}
			c, err := newDeviceClient(serverURL, sdkConfig, version)
			if err != nil {
				return err
			}
			opts := client.ActivationOptions{Name: name, Platform: platform, OTP: otp, DeviceInfo: "mauth device simulator"}
			var res *client.ActivationResult
			switch {
			case code != "":
				res, err = c.ActivateWithCode(cmd.Context(), code, pin, opts)
			case recoveryCode != "":
				res, err = c.ActivateWithRecoveryCode(cmd.Context(), recoveryCode, puk, pin, opts)
			case oidcID.ProviderID != "":
				res, err = c.ActivateWithOIDC(cmd.Context(), oidcID, pin, opts)
			default:
				creds := make(map[string]string, len(credentials))
				for _, kv := range credentials {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return fmt.Errorf("--credential must look like KEY=VALUE")
					}
					creds[k] = v
				}
				res, err = c.ActivateWithCredentials(cmd.Context(), creds, pin, opts)
			}
			if err != nil {
				return deviceError("activation failed", err)
			}
			st := &deviceState{URL: serverURL, SDKConfig: strings.TrimSpace(sdkConfig), Version: c.Version(), Device: res.Device}
			if err := st.save(df.state); err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("activation id", res.Device.ActivationID)
			f.add("fingerprint", res.Device.Fingerprint)
			if status, err := c.Status(cmd.Context(), st.Device); err == nil {
				f.add("status", string(status.State))
				if err := st.save(df.state); err != nil {
					return err
				}
			}
			if res.Device.RecoveryCode != "" {
				f.add("recovery code", "issued (kept in the state file)")
			}
			f.add("state file", df.state)
			return f.print()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sdkConfig, "sdk-config", "", "the application's mobile SDK configuration string (printed by mauth app create)")
	fl.StringVar(&code, "code", "", "activation code, or the QR code string CODE#signature")
	fl.StringArrayVar(&credentials, "credential", nil, "custom credential KEY=VALUE (repeat for each attribute)")
	fl.StringVar(&recoveryCode, "recovery-code", "", "recovery code of a lost device")
	fl.StringVar(&puk, "puk", "", "PUK of the recovery code")
	fl.StringVar(&oidcID.ProviderID, "oidc-provider", "", "providerId of the application's OpenID provider (OIDC activation)")
	fl.StringVar(&oidcID.Code, "oidc-code", "", "authorization code the provider redirected with")
	fl.StringVar(&oidcID.Nonce, "oidc-nonce", "", "nonce of the authorization request")
	fl.StringVar(&oidcID.CodeVerifier, "oidc-code-verifier", "", "PKCE code verifier of the authorization request")
	fl.StringVar(&otp, "otp", "", "activation OTP, for activations that check it in the key exchange")
	fl.StringVar(&version, "version", protocol.Version33, "protocol version: 3.1, 3.2 or 3.3")
	fl.StringVar(&name, "name", "mauth simulated device", "device name shown to the user")
	fl.StringVar(&platform, "platform", "unknown", "device platform: ios, android, hw or unknown")
	fl.BoolVar(&force, "force", false, "replace an existing state file")
	return cmd
}

func newDeviceStatusCommand(df *deviceFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status --state FILE",
		Short: "Fetch and decrypt the activation status; synchronise the signature counter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, c, err := df.load()
			if err != nil {
				return err
			}
			status, err := c.Status(cmd.Context(), st.Device)
			if err != nil {
				return deviceError("status failed", err)
			}
			if err := st.save(df.state); err != nil {
				return err
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("activation id", st.Device.ActivationID)
			f.add("status", string(status.State))
			if status.State == client.StateActive || status.State == client.StateBlocked {
				f.add("failed attempts", fmt.Sprintf("%d of %d", status.FailedAttempts, status.MaxFailedAttempts))
				f.add("remaining attempts", strconv.Itoa(status.RemainingAttempts))
				sync := "in sync"
				if status.CounterAhead > 0 {
					sync = fmt.Sprintf("device ahead by %d", status.CounterAhead)
				}
				f.add("signature counter", sync)
			}
			f.add("protocol version", strconv.Itoa(status.CurrentVersion))
			return f.print()
		},
	}
}

func newDeviceSignCommand(df *deviceFlags) *cobra.Command {
	var factors, body, method string
	var query []string
	cmd := &cobra.Command{
		Use:   "sign --state FILE --pin PIN",
		Short: "Send a signed request to /pa/v3/signature/validate",
		Long: `Compute a PowerAuth signature with the chosen factors and send it with a
request to /pa/v3/signature/validate, which checks it. POST and PUT sign the
--body; GET and DELETE sign the --query parameters. A wrong PIN makes the
server count a failed attempt; enough of them block the activation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			method = strings.ToUpper(method)
			var values url.Values
			var payload []byte
			switch method {
			case http.MethodPost, http.MethodPut:
				if len(query) > 0 {
					return fmt.Errorf("--query is for GET and DELETE; %s signs the --body", method)
				}
				payload = []byte(body)
			case http.MethodGet, http.MethodDelete:
				if cmd.Flags().Changed("body") {
					return fmt.Errorf("%s has no body: sign --query parameters", method)
				}
				values = url.Values{}
				for _, kv := range query {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return fmt.Errorf("--query must look like KEY=VALUE")
					}
					values.Add(k, v)
				}
			default:
				return fmt.Errorf("--method must be POST, PUT, GET or DELETE")
			}
			st, c, f, err := df.loadSigning(factors)
			if err != nil {
				return err
			}
			_, callErr := c.SignedRequest(cmd.Context(), st.Device, f, method, "/pa/v3/signature/validate", "/pa/signature/validate", values, payload)
			// The counter advanced even if the server rejected the signature.
			if err := df.saveAfter(st, callErr, "signature rejected"); err != nil {
				return err
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("signature", "valid")
			out.add("factors", string(f.Type))
			out.add("request", method+" /pa/v3/signature/validate")
			return out.print()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&factors, "factors", string(protocol.SignaturePossessionKnowledge), "signature factors: possession, possession_knowledge, possession_biometry or possession_knowledge_biometry")
	fl.StringVar(&body, "body", "{}", "request body to sign (POST and PUT)")
	fl.StringVar(&method, "method", http.MethodPost, "HTTP method: POST, PUT, GET or DELETE")
	fl.StringArrayVar(&query, "query", nil, "query parameter KEY=VALUE to sign (GET and DELETE; repeat)")
	return cmd
}

func newDeviceTokenCommand(df *deviceFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, use and remove MAC tokens (X-PowerAuth-Token)",
	}
	var factors string
	create := &cobra.Command{
		Use:   "create --state FILE --pin PIN",
		Short: "Create a token (authorised by a signature) and keep it in the state file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, c, f, err := df.loadSigning(factors)
			if err != nil {
				return err
			}
			tok, callErr := c.CreateToken(cmd.Context(), st.Device, f)
			if callErr == nil {
				st.Tokens = append(st.Tokens, *tok)
			}
			if err := df.saveAfter(st, callErr, "token not created"); err != nil {
				return err
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("token id", tok.ID)
			out.add("factors", string(f.Type))
			out.add(protocol.HeaderToken, c.TokenHeader(tok))
			return out.print()
		},
	}
	create.Flags().StringVar(&factors, "factors", string(protocol.SignaturePossessionKnowledge), "factors of the signature that authorises the token")
	header := &cobra.Command{
		Use:   "header [TOKEN_ID]",
		Short: "Print a fresh X-PowerAuth-Token header value (default: the newest token)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, c, err := df.load()
			if err != nil {
				return err
			}
			tok, err := st.token(firstArg(args))
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), c.TokenHeader(tok))
			return err
		},
	}
	var removeFactors string
	remove := &cobra.Command{
		Use:   "remove [TOKEN_ID]",
		Short: "Remove a token on the server (signed) and forget it (default: the newest token)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, c, err := df.load()
			if err != nil {
				return err
			}
			tok, err := st.token(firstArg(args))
			if err != nil {
				return err
			}
			f, err := df.factors(removeFactors)
			if err != nil {
				return err
			}
			id := tok.ID
			callErr := c.RemoveToken(cmd.Context(), st.Device, f, id)
			if callErr == nil {
				st.dropToken(id)
			}
			if err := df.saveAfter(st, callErr, "token not removed"); err != nil {
				return err
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("token id", id)
			out.add("removed", "true")
			return out.print()
		},
	}
	remove.Flags().StringVar(&removeFactors, "factors", string(protocol.SignaturePossession), "factors of the signature that authorises the removal")
	cmd.AddCommand(create, header, remove)
	return cmd
}

func newDeviceUnlockCommand(df *deviceFlags) *cobra.Command {
	var factors, reason, data string
	cmd := &cobra.Command{
		Use:   "unlock --state FILE --pin PIN",
		Short: "Unlock the secure vault: get the vault key and decrypt the device private key",
		Long: `Unlock the secure vault: a signed, encrypted call to /pa/v3/vault/unlock
returns the vault key, which decrypts the device private key kept in the state
file. The command checks that the key matches the activation's device public
key; with --sign-data it signs that data with the device private key (ECDSA,
DER, Base64) as the mobile SDKs do. The private key itself is never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, c, f, err := df.loadSigning(factors)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("sign-data") && !cmd.Flags().Changed("reason") {
				reason = "SIGN_WITH_DEVICE_PRIVATE_KEY"
			}
			priv, callErr := c.UnlockVault(cmd.Context(), st.Device, f, reason)
			if err := df.saveAfter(st, callErr, "vault not unlocked"); err != nil {
				return err
			}
			pub, err := protocol.ParsePublicKey(st.Device.DevicePublicKey)
			if err != nil || !protocol.Equal(pub.Uncompressed(), priv.Public().Uncompressed()) {
				return errors.New("the unlocked device private key does not match the activation's device public key")
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("vault", "unlocked")
			out.add("device private key", "decrypted; matches the activation's device public key")
			if cmd.Flags().Changed("sign-data") {
				sig, err := priv.SignDER([]byte(data))
				if err != nil {
					return fmt.Errorf("sign with the device private key: %w", err)
				}
				out.add("device signature", b64Text(sig))
			}
			return out.print()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&factors, "factors", string(protocol.SignaturePossessionKnowledge), "signature factors: possession_knowledge (or possession_biometry where the server allows it)")
	fl.StringVar(&reason, "reason", "NOT_SPECIFIED", "reason recorded in the server's signature audit (with --sign-data: SIGN_WITH_DEVICE_PRIVATE_KEY)")
	fl.StringVar(&data, "sign-data", "", "sign this text with the unlocked device private key and print the signature")
	return cmd
}

func newDeviceRemoveCommand(df *deviceFlags) *cobra.Command {
	var factors string
	cmd := &cobra.Command{
		Use:   "remove --state FILE --pin PIN",
		Short: "Remove the activation on the server (signed) and delete the state file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, c, f, err := df.loadSigning(factors)
			if err != nil {
				return err
			}
			if err := c.Remove(cmd.Context(), st.Device, f); err != nil {
				return df.saveAfter(st, err, "activation not removed")
			}
			// Like the mobile SDKs, forget the activation once the server removed it.
			if err := os.Remove(df.state); err != nil {
				return fmt.Errorf("the activation was removed, but the state file was not deleted: %w", err)
			}
			out := fields{w: cmd.OutOrStdout()}
			out.add("activation id", st.Device.ActivationID)
			out.add("status", string(client.StateRemoved))
			out.add("state file", "deleted")
			return out.print()
		},
	}
	cmd.Flags().StringVar(&factors, "factors", string(protocol.SignaturePossessionKnowledge), "signature factors authorising the removal")
	return cmd
}

// firstArg returns the first argument or "".
func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func newDeviceOIDCConfigCommand(df *deviceFlags) *cobra.Command {
	var sdkConfig, provider, version string
	cmd := &cobra.Command{
		Use:   "oidc-config --sdk-config STRING --provider ID",
		Short: "Fetch the configuration of the application's OpenID provider (before an OIDC activation)",
		Long: `Fetch the public configuration of an OpenID provider of the application
(/api/config/oidc, encrypted in application scope): the client id, scopes,
authorization endpoint, redirect URI and whether PKCE is required. Sign the
user in at the provider with it, then activate with
'mauth device activate --oidc-provider ID --oidc-code CODE --oidc-nonce NONCE'.
Needs no state file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sdkConfig == "" || provider == "" {
				return errors.New("--sdk-config and --provider are required")
			}
			serverURL := df.url
			if serverURL == "" {
				serverURL = envOr(envPublicURL, defaultPublicURL)
			}
			c, err := newDeviceClient(serverURL, sdkConfig, version)
			if err != nil {
				return err
			}
			cfg, err := c.OIDCConfig(cmd.Context(), provider)
			if err != nil {
				return deviceError("oidc configuration", err)
			}
			f := fields{w: cmd.OutOrStdout()}
			f.add("provider id", cfg.ProviderID)
			f.add("client id", cfg.ClientID)
			f.add("scopes", cfg.Scopes)
			f.add("authorize uri", cfg.AuthorizeURI)
			f.add("redirect uri", cfg.RedirectURI)
			f.add("pkce", strconv.FormatBool(cfg.PKCEEnabled))
			return f.print()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sdkConfig, "sdk-config", "", "the application's mobile SDK configuration string (printed by mauth app create)")
	fl.StringVar(&provider, "provider", "", "providerId of an oauth2_providers entry of the application")
	fl.StringVar(&version, "version", protocol.Version33, "protocol version: 3.1, 3.2 or 3.3")
	return cmd
}
