// SPDX-License-Identifier: LGPL-2.1-or-later
//
// XmlDsigSign.java - an enveloped XML signature (XMLDSig) with the card's
// signature key from Java: the JDK's own javax.xml.crypto.dsig, the key
// through the SunPKCS11 provider configured by examples/java-pkcs11.cfg
// (slot 1, the signature token). No library beyond the JDK (11 or later):
//
//   JPKI_SIGN_PIN=... java XmlDsigSign.java java-pkcs11.cfg IN.xml SIGNED.xml
//
// The signature goes at the end of IN.xml's root element; its KeyInfo
// names the key (KeyName) and carries the certificate (X509Data), so
// anyone can check it against the JPKI signature CA:
//   xmlsec1 --verify --trusted-pem sign-ca.pem SIGNED.xml
// The PIN comes from the environment, never from the command line.

import java.io.File;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignatureMethod;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;

public class XmlDsigSign {
    // The signature key's alias on the token (its certificate's label).
    static final String ALIAS = "Digital Signature Certificate";

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: JPKI_SIGN_PIN=... java XmlDsigSign.java CONFIG.cfg IN.xml SIGNED.xml");
            System.exit(2);
        }
        String pin = System.getenv("JPKI_SIGN_PIN");
        if (pin == null || pin.isEmpty()) {
            System.err.println("XmlDsigSign: set JPKI_SIGN_PIN");
            System.exit(2);
        }
        Provider p11 = Security.getProvider("SunPKCS11").configure(args[0]);
        Security.addProvider(p11);
        KeyStore ks = KeyStore.getInstance("PKCS11", p11);
        ks.load(null, pin.toCharArray());      // C_Login on the signature token
        PrivateKey key = (PrivateKey) ks.getKey(ALIAS, null);
        X509Certificate cert = (X509Certificate) ks.getCertificate(ALIAS);
        if (key == null || cert == null) {
            System.err.println("XmlDsigSign: no key \"" + ALIAS + "\" on the token");
            System.exit(1);
        }

        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        Document doc = dbf.newDocumentBuilder().parse(new File(args[1]));

        XMLSignatureFactory fac = XMLSignatureFactory.getInstance("DOM");
        Reference ref = fac.newReference("", fac.newDigestMethod(DigestMethod.SHA256, null),
                List.of(fac.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null)),
                null, null);
        SignedInfo si = fac.newSignedInfo(
                fac.newCanonicalizationMethod(CanonicalizationMethod.INCLUSIVE,
                        (C14NMethodParameterSpec) null),
                fac.newSignatureMethod(signatureMethod(key), null), List.of(ref));
        KeyInfoFactory kif = fac.getKeyInfoFactory();
        KeyInfo ki = kif.newKeyInfo(List.of(kif.newKeyName(ALIAS),
                kif.newX509Data(List.of(cert))));
        // The card signs here (SHA256withRSA or SHA256withECDSA through SunPKCS11).
        fac.newXMLSignature(si, ki).sign(new DOMSignContext(key, doc.getDocumentElement()));

        TransformerFactory.newInstance().newTransformer()
                .transform(new DOMSource(doc), new StreamResult(new File(args[2])));
    }

    // RSA-SHA256 with an RSA card, ECDSA-SHA256 with a card of the ECDSA
    // generation.
    static String signatureMethod(PrivateKey key) {
        return "EC".equals(key.getAlgorithm()) ? SignatureMethod.ECDSA_SHA256
                                               : SignatureMethod.RSA_SHA256;
    }
}
