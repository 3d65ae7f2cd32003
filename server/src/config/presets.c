/*
 * presets: the cipher-suite lists a scenario can name in tls.ciphers.
 * Sources are in docs/scenarios.md and reference/azure-gateway.md §1.2.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "config/scenario.h"

/* The 12 suites azure-docs point-to-site-about.md listed (ms.date 07/28/2021),
 * in the documented order. */
static const char *const preset_azure_2018[] = {
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA256",
};

/* azure-docs includes/vpn-gateway-tls-policies.md (ms.date 08/08/2024),
 * without the two TLS 1.3 suites that apply to OpenVPN only. */
static const char *const preset_azure_2024[] = {
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
};

/* Never published: an inference from the Windows Server 2012 R2 SChannel
 * defaults, the 2018 list followed by the SHA-1 MAC, 3DES and RC4 suites
 * that the 2018-07-01 change removed. */
static const char *const preset_azure_pre_2018[] = {
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
	"TLS_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_RSA_WITH_AES_256_CBC_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_CBC_SHA",
	"TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	"TLS_RSA_WITH_RC4_128_SHA",
	"TLS_RSA_WITH_RC4_128_MD5",
};

/* The same lists as IANA code points, position by position (test_scenario
 * checks them against tls_suite_from_name). */
static const uint16_t preset_azure_2018_ids[] = {
	0xc02b, 0xc02c, 0xc02f, 0xc030, 0xc023, 0xc024,
	0xc027, 0xc028, 0x009c, 0x009d, 0x003c, 0x003d,
};
static const uint16_t preset_azure_2024_ids[] = {
	0xc030, 0xc02f, 0xc028, 0xc027,
};
static const uint16_t preset_azure_pre_2018_ids[] = {
	0xc02b, 0xc02c, 0xc02f, 0xc030, 0xc023, 0xc024,
	0xc027, 0xc028, 0x009c, 0x009d, 0x003c, 0x003d,
	0xc014, 0xc013, 0xc00a, 0xc009, 0x0035, 0x002f,
	0x000a, 0x0005, 0x0004,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PRESET(name, list) { name, list, list##_ids, N(list) }

static const struct {
	const char               *name;
	const char *const        *suites;
	const uint16_t           *ids;
	size_t                    n;
} presets[] = {
	PRESET("azure-2018", preset_azure_2018),
	PRESET("azure-2024", preset_azure_2024),
	PRESET("azure-pre-2018", preset_azure_pre_2018),
};

/* Each name list and its id list have the same length. */
_Static_assert(N(preset_azure_2018) == N(preset_azure_2018_ids), "azure-2018");
_Static_assert(N(preset_azure_2024) == N(preset_azure_2024_ids), "azure-2024");
_Static_assert(N(preset_azure_pre_2018) == N(preset_azure_pre_2018_ids), "azure-pre-2018");

static const char *const preset_names[] = { "azure-2018", "azure-2024", "azure-pre-2018" };

const char *const *
scenario_cipher_preset(const char *name, size_t *n)
{
	for (size_t i = 0; i < N(presets); i++) {
		if (strcasecmp(name, presets[i].name) == 0) {
			if (n != NULL)
				*n = presets[i].n;
			return presets[i].suites;
		}
	}
	if (n != NULL)
		*n = 0;
	return NULL;
}

const char *const *
scenario_cipher_preset_names(size_t *n)
{
	*n = N(preset_names);
	return preset_names;
}

const uint16_t *
scenario_cipher_preset_ids(const char *name, size_t *n)
{
	for (size_t i = 0; i < N(presets); i++) {
		if (strcasecmp(name, presets[i].name) == 0) {
			if (n != NULL)
				*n = presets[i].n;
			return presets[i].ids;
		}
	}
	if (n != NULL)
		*n = 0;
	return NULL;
}
