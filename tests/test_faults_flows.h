/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_faults_flows.h - the user flows that the fault and PIN-accounting
 * tests drive through the PKCS#11 module, each a whole life from
 * C_Initialize to C_Finalize, as an application would do it.
 */
#ifndef JPKI_TEST_FAULTS_FLOWS_H
#define JPKI_TEST_FAULTS_FLOWS_H

#include <p11-kit/pkcs11.h>

typedef struct {
    CK_RV rv;          /* the first call that did not return CKR_OK ... */
    const char *where; /* ... and which one (NULL when all succeeded) */
} tf_result;

typedef struct {
    const char *name;
    tf_result (*run)(void);
    unsigned verifies;    /* PIN tries the user asked for */
    unsigned signatures;  /* signatures the user asked for */
    int pin_key;          /* the token whose retry counter the flow may spend
                          * (0 auth, 1 sign), -1 none */
    unsigned tries_spent; /* on a clean card: 1 for a wrong PIN, else 0 */
    unsigned changes;     /* CHANGE REFERENCE DATA commands (new PIN) */
} tf_flow;

extern const tf_flow tf_flows[];
extern const unsigned tf_n_flows;

/* Runs a flow; C_Finalize always follows, whatever happened. */
tf_result tf_run(const tf_flow *f);

#endif
