import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/** For test_x509_util: prints, for each DER certificate file given, the hex of the UTF-8 bytes of
 *  getSubjectX500Principal().getName(), one line each (hex, so no console encoding gets in the way). */
public class DnPrinter {
    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        for (String path : args) {
            try (InputStream in = Files.newInputStream(Paths.get(path))) {
                X509Certificate cert = (X509Certificate) factory.generateCertificate(in);
                StringBuilder hex = new StringBuilder();
                for (byte b : cert.getSubjectX500Principal().getName().getBytes(StandardCharsets.UTF_8)) {
                    hex.append(String.format("%02x", b));
                }
                System.out.println(hex);
            }
        }
    }
}
