/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xmldsig-sign.c - an enveloped XML signature (XMLDSig) made with the card's
 * signature key, through libxmlsec1's NSS backend. NSS loads jpki-pkcs11
 * from an NSS database (modutil -add), and the template's <KeyName> names
 * the NSS certificate, "TOKEN:LABEL":
 *
 *   <KeyName>JPKI Digital Signature:Digital Signature Certificate</KeyName>
 *
 *   JPKI_SIGN_PIN=...  xmldsig-sign sql:NSSDB TEMPLATE.xml SIGNED.xml
 *
 * The template holds the document and an empty <Signature> (see
 * examples/xmldsig-template.xml); an empty <X509Data/> in it receives the
 * signer's certificate, so anyone can check the signature against the
 * JPKI signature CA:
 *   xmlsec1 --verify --trusted-pem sign-ca.pem SIGNED.xml
 * The signature PIN comes from the environment (JPKI_SIGN_PIN), never from
 * the command line, where other users could read it.
 * Build: cc xmldsig-sign.c $(pkg-config --cflags --libs xmlsec1-nss)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <nss.h>
#include <pk11pub.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

/* NSS asks for the PIN when it logs in to the token (once per token). */
static char *pin_cb(PK11SlotInfo *slot, PRBool retry, void *arg)
{
    const char *pin = getenv("JPKI_SIGN_PIN");

    (void)slot;
    (void)arg;
    /* A refused PIN is not offered again: each retry would cost a try. */
    if (retry || !pin || !*pin)
        return NULL;
    return PORT_Strdup(pin);
}

/* Sign the template's first <Signature> with the key its <KeyInfo> names,
 * and write the document to `out`. 0 on success. */
static int sign_file(const char *in, const char *out)
{
    int ok = 0;
    xmlSecKeysMngrPtr mngr = NULL;
    xmlSecDSigCtxPtr ctx = NULL;
    xmlDocPtr doc = xmlReadFile(in, NULL, XML_PARSE_NONET);
    xmlNodePtr sig = doc ? xmlSecFindNode(xmlDocGetRootElement(doc),
                                          xmlSecNodeSignature, xmlSecDSigNs)
                         : NULL;
    FILE *f = NULL;

    if (!sig) {
        fprintf(stderr, "xmldsig-sign: %s: no <Signature> template\n", in);
        goto done;
    }
    /* The NSS keys manager finds a key by its certificate's nickname. */
    mngr = xmlSecKeysMngrCreate();
    if (!mngr || xmlSecCryptoAppDefaultKeysMngrInit(mngr) < 0)
        goto done;
    ctx = xmlSecDSigCtxCreate(mngr);
    if (!ctx || xmlSecDSigCtxSign(ctx, sig) < 0) {
        fprintf(stderr,
                "xmldsig-sign: signing failed (wrong PIN, no card, or no key "
                "named as in <KeyName>?)\n");
        goto done;
    }
    f = fopen(out, "w");
    ok = f && xmlDocDump(f, doc) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "xmldsig-sign: cannot write %s\n", out);
done:
    if (ctx)
        xmlSecDSigCtxDestroy(ctx);
    if (mngr)
        xmlSecKeysMngrDestroy(mngr);
    if (doc)
        xmlFreeDoc(doc);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    int rc = 1;

    if (argc != 4) {
        fprintf(
            stderr,
            "usage: JPKI_SIGN_PIN=... %s sql:NSSDB TEMPLATE.xml SIGNED.xml\n",
            argv[0]);
        return 2;
    }
    xmlInitParser();
    if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1) {
        fprintf(stderr,
                "xmldsig-sign: xmlsec1 cannot start (version mismatch?)\n");
        return 1;
    }
    /* Opens the NSS database, which loads the modules registered in it. */
    if (xmlSecCryptoAppInit(argv[1]) < 0 || xmlSecCryptoInit() < 0) {
        fprintf(stderr, "xmldsig-sign: cannot open the NSS database %s\n",
                argv[1]);
        xmlSecShutdown();
        return 1;
    }
    PK11_SetPasswordFunc(pin_cb);
    rc = sign_file(argv[2], argv[3]);
    xmlSecCryptoShutdown();
    xmlSecCryptoAppShutdown(); /* NSS_Shutdown: the module is finalized */
    xmlSecShutdown();
    xmlCleanupParser();
    return rc;
}
