package org.jmaster.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** MAIL FROM / RCPT TO arguments (RFC 5321 §4.1.2). */
class MailPathTest {
    @Test
    void ordinaryPathsAndParameters() throws Exception {
        MailPath p = MailPath.parse("FROM:<Alice@Example.ORG> SIZE=1000 body=8BITMIME", "FROM", false);
        assertThat(p.address()).isEqualTo("Alice@Example.ORG");
        assertThat(p.domain()).isEqualTo("example.org");
        assertThat(p.params()).containsExactly(Map.entry("SIZE", "1000"), Map.entry("BODY", "8BITMIME"));
        assertThat(MailPath.parse("from: <a@b.c>", "FROM", false).address()).isEqualTo("a@b.c");
        assertThat(MailPath.parse("TO:a@b.c", "TO", true).address()).isEqualTo("a@b.c");
        assertThat(MailPath.parse("TO:<a@b.c> FLAG", "TO", true).params()).containsEntry("FLAG", null);
    }

    @Test
    void specialPaths() throws Exception {
        assertThat(MailPath.parse("FROM:<>", "FROM", false).address()).isEmpty();
        assertThat(MailPath.parse("TO:<postmaster>", "TO", true).address()).isEqualTo("postmaster");
        assertThat(MailPath.parse("TO:<PostMaster>", "TO", true).domain()).isEmpty();
        assertThat(MailPath.parse("TO:<@relay.example,@other.example:user@host.example>", "TO", true).address())
                .isEqualTo("user@host.example");
        assertThat(MailPath.parse("TO:<\"quoted > local\"@host.example>", "TO", true).address())
                .isEqualTo("\"quoted > local\"@host.example");
        assertThat(MailPath.parse("TO:<user@[192.0.2.1]>", "TO", true).domain()).isEqualTo("[192.0.2.1]");
        assertThat(MailPath.parse("TO:<user@[IPv6:2001:db8::1]>", "TO", true).address()).isEqualTo("user@[IPv6:2001:db8::1]");
    }

    @Test
    void malformedPathsGetTheRightStatus() {
        assertError("FROM<a@b.c>", "FROM", false, "5.5.4", "Syntax: MAIL FROM:<address>");
        assertError("FROM:", "FROM", false, "5.5.4", "Syntax: MAIL FROM:<address>");
        assertError("FROM:<a@b.c", "FROM", false, "5.5.4", "Syntax: MAIL FROM:<address>");
        assertError("FROM:<a@b.c>x", "FROM", false, "5.5.4", "Syntax: MAIL FROM:<address>");
        assertError("FROM:<a@>", "FROM", false, "5.1.7", "Bad sender address syntax");
        assertError("FROM:<a b@c.d>", "FROM", false, "5.1.7", "Bad sender address syntax");
        assertError("FROM:<a..b@c.d>", "FROM", false, "5.1.7", "Bad sender address syntax");
        assertError("FROM:<a@-c.d>", "FROM", false, "5.1.7", "Bad sender address syntax");
        assertError("FROM:<é@c.d>", "FROM", false, "5.1.7", "Bad sender address syntax");
        assertError("TO:<>", "TO", true, "5.1.3", "Bad recipient address syntax");
        assertError("TO:<user>", "TO", true, "5.1.3", "Bad recipient address syntax");
        assertError("TO:<@a.b>", "TO", true, "5.1.3", "Bad recipient address syntax");
        assertError("TO:<a@[1.2.3.4>", "TO", true, "5.1.3", "Bad recipient address syntax");
        assertError("TO <a@b.c>", "TO", true, "5.5.4", "Syntax: RCPT TO:<address>");
        assertError("TO:<a@b.c> =x", "TO", true, "5.5.4", "Bad parameter syntax: =x");
        assertError("TO:<a@b.c> K_Y=1", "TO", true, "5.5.4", "Bad parameter syntax: K_Y=1");
    }

    private static void assertError(String arg, String keyword, boolean required, String status, String text) {
        assertThatThrownBy(() -> MailPath.parse(arg, keyword, required)).isInstanceOfSatisfying(MailPath.SyntaxError.class,
                e -> {
                    assertThat(e.status).isEqualTo(status);
                    assertThat(e).hasMessage(text);
                });
    }

    @Property
    void anyTextIsEitherAPathOrASyntaxError(@ForAll String arg) {
        for (String keyword : new String[] {"FROM", "TO"}) {
            try {
                MailPath p = MailPath.parse(keyword + ":" + arg, keyword, keyword.equals("TO"));
                assertThat(p.address().chars()).allMatch(c -> c >= 32 && c <= 126);
            } catch (MailPath.SyntaxError e) {
                assertThat(e.status).matches("5\\.[15]\\.[347]");
            }
        }
    }
}
