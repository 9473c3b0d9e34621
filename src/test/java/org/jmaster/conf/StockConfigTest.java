package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Real input: Debian's master.cf.dist/main.cf.dist, our transcription of the stock master.cf,
 * and the protocol doc's run-time examples; each child's argv checked against §3.6.
 */
class StockConfigTest {

    private static final Path DIST_DIR = Path.of("/usr/share/postfix");
    private static final Path ETC = Path.of("/etc/postfix");

    /** Expected argv of every active service of the stock master.cf (wildcard inet, one address family). */
    private static final Map<String, String> STOCK_ARGV = stockArgv();

    private static Map<String, String> stockArgv() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("smtp/inet", "smtpd -n smtp -t inet -u -c -o stress=");
        m.put("pickup/unix", "pickup -l -t unix -u -c");
        m.put("cleanup/unix", "cleanup -z -t unix -u -c");
        m.put("qmgr/unix", "qmgr -l -t unix -u");
        m.put("tlsmgr/unix", "tlsmgr -l -t unix -u -c");
        m.put("rewrite/unix", "trivial-rewrite -n rewrite -t unix -u -c");
        m.put("bounce/unix", "bounce -z -t unix -u -c");
        m.put("defer/unix", "bounce -z -n defer -t unix -u -c");
        m.put("trace/unix", "bounce -z -n trace -t unix -u -c");
        m.put("verify/unix", "verify -l -t unix -u -c");
        m.put("flush/unix", "flush -z -t unix -u -c");
        m.put("proxymap/unix", "proxymap -t unix -u");
        m.put("proxywrite/unix", "proxymap -l -n proxywrite -t unix -u");
        m.put("smtp/unix", "smtp -t unix -u -c");
        m.put("relay/unix", "smtp -n relay -t unix -u -c -o syslog_name=postfix/$service_name");
        m.put("showq/unix", "showq -t unix -u -c");
        m.put("error/unix", "error -t unix -u -c");
        m.put("retry/unix", "error -n retry -t unix -u -c");
        m.put("discard/unix", "discard -t unix -u -c");
        m.put("local/unix", "local -t unix");
        m.put("virtual/unix", "virtual -t unix");
        m.put("lmtp/unix", "lmtp -t unix -u -c");
        m.put("anvil/unix", "anvil -l -t unix -u -c");
        m.put("scache/unix", "scache -l -t unix -u -c");
        m.put("postlog/unix-dgram", "postlogd -l -n postlog -t unix-dgram -u");
        m.put("maildrop/unix", "pipe -n maildrop -t unix flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}");
        m.put("uucp/unix", "pipe -n uucp -t unix flags=Fqhu user=uucp argv=uux -r -n -z -a$sender - $nexthop!rmail"
                + " ($recipient)");
        m.put("ifmail/unix", "pipe -n ifmail -t unix flags=F user=ftn argv=/usr/lib/ifmail/ifmail -r $nexthop"
                + " ($recipient)");
        m.put("bsmtp/unix", "pipe -n bsmtp -t unix flags=Fq. user=bsmtp argv=/usr/lib/bsmtp/bsmtp -t$nexthop"
                + " -f$sender $recipient");
        m.put("scalemail-backend/unix", "pipe -n scalemail-backend -t unix flags=R user=scalemail"
                + " argv=/usr/lib/scalemail/bin/scalemail-store ${nexthop} ${user} ${extension}");
        m.put("mailman/unix", "pipe -n mailman -t unix flags=FRX user=list"
                + " argv=/usr/lib/mailman/bin/postfix-to-mailman.py ${nexthop} ${user}");
        return m;
    }

    /** argv of every service; local-only = unix types; inet wildcard with one socket per family. */
    private static Map<String, String> argvByService(ServiceTable table, MainConfig main) {
        InetProtocols p = main.inetProtocols();
        int families = (p.ipv4() ? 1 : 0) + (p.ipv6() ? 1 : 0);
        return table.services().stream().collect(Collectors.toMap(
                e -> e.extName() + "/" + e.type(),
                e -> {
                    int fds = e.type() == ServiceType.INET && e.inetHost() == null ? families : 1;
                    boolean local = e.type().alwaysLocal();
                    return String.join(" ", e.childArgv(false, false, fds, e.stressEligible(local), false));
                },
                (a, b) -> a, LinkedHashMap::new));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = StockConfigTest.class.getResourceAsStream("/conf/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void debianMainCfDist() throws Exception {
        Path file = DIST_DIR.resolve("main.cf.dist");
        assumeTrue(Files.isRegularFile(file), "Debian's postfix package is not installed");
        MainConfig main = MainConfig.parse(file, Files.readString(file), ETC, Map.of());
        assertThat(main.warnings()).isEmpty();
        assertThat(main.get("compatibility_level")).isNotEmpty();
        assertThat(main.compatibilityLevel().compareTo(new CompatLevel(1, 0, 0))).isPositive();
        assertThat(main.get("daemon_directory")).isEqualTo("/usr/lib/postfix/sbin");
        assertThat(main.get("inet_protocols")).isEqualTo("ipv4");
        assertThat(main.get("setgid_group")).isEmpty();
        assertThat(main.isSet("setgid_group")).isTrue();
        assertThat(main.get("smtpd_banner")).endsWith(" ESMTP Postfix (Debian/GNU)");
        assertThat(main.get("debugger_command"))
                .startsWith("PATH=/bin:/usr/bin:/usr/local/bin:/usr/X11R6/bin")
                .contains("ddd /usr/lib/postfix/sbin/master " + ProcessHandle.current().pid() + " & sleep 5");
        assertThat(main.getInt("default_process_limit")).isEqualTo(100);
    }

    @Test
    void debianMasterCfDist() throws Exception {
        Path mainFile = DIST_DIR.resolve("main.cf.dist");
        Path file = DIST_DIR.resolve("master.cf.dist");
        assumeTrue(Files.isRegularFile(file) && Files.isRegularFile(mainFile),
                "Debian's postfix package is not installed");
        MainConfig main = MainConfig.parse(mainFile, Files.readString(mainFile), ETC, Map.of());
        ServiceTable table = ServiceTable.parse(file, Files.readString(file), main);
        assertThat(table.warnings()).isEmpty();
        List<String> names = table.services().stream().map(e -> e.extName() + "/" + e.type()).toList();
        assertThat(names).startsWith("smtp/inet", "pickup/unix", "cleanup/unix", "qmgr/unix", "tlsmgr/unix")
                .contains("rewrite/unix", "bounce/unix", "defer/unix", "showq/unix", "local/unix", "postlog/unix-dgram",
                        "anvil/unix", "scache/unix");
        Map<String, String> argv = argvByService(table, main);
        for (Map.Entry<String, String> e : argv.entrySet()) {
            assertThat(e.getValue()).as(e.getKey()).isEqualTo(STOCK_ARGV.get(e.getKey()));
        }
        assertThat(argv.keySet()).containsExactlyInAnyOrderElementsOf(STOCK_ARGV.keySet());
        ServiceEntry tlsmgr = table.find(new ServiceKey("public/tlsmgr", ServiceType.UNIX)).orElse(null);
        assertThat(tlsmgr).isNull();
        tlsmgr = table.find(new ServiceKey("private/tlsmgr", ServiceType.UNIX)).orElseThrow();
        assertThat(tlsmgr.wakeupSeconds()).isEqualTo(1000);
        assertThat(tlsmgr.conditionalWakeup()).isTrue();
        assertThat(table.find(new ServiceKey("25", ServiceType.INET))).isPresent();
        assertThat(table.find(new ServiceKey("public/pickup", ServiceType.UNIX)).orElseThrow().wakeupSeconds())
                .isEqualTo(60);
        assertThat(tlsmgr.execPath(Path.of(main.get("daemon_directory"))))
                .isEqualTo(Path.of("/usr/lib/postfix/sbin/tlsmgr"));
    }

    @Test
    void ourStockMasterCfMatchesDebians() throws Exception {
        MainConfig main = MainConfig.parse(ETC.resolve("main.cf"), resource("main.cf"), ETC, Map.of());
        ServiceTable table = ServiceTable.parse(ETC.resolve("master.cf"), resource("master.cf"), main);
        assertThat(table.warnings()).isEmpty();
        assertThat(table.services()).hasSize(STOCK_ARGV.size());
        // main.cf says ipv4, ipv6: a wildcard inet service has two sockets
        Map<String, String> argv = argvByService(table, main);
        Map<String, String> expected = new LinkedHashMap<>(STOCK_ARGV);
        expected.put("smtp/inet", "smtpd -n smtp -t inet -u -c -o stress= -s 2");
        assertThat(argv).containsExactlyEntriesOf(expected);
        Path dir = Path.of(main.get("daemon_directory"));
        assertThat(table.services().get(0).execPath(dir)).isEqualTo(Path.of("/usr/lib/postfix/sbin/smtpd"));
        Path debian = DIST_DIR.resolve("master.cf.dist");
        if (Files.isRegularFile(debian)) {
            ServiceTable dist = ServiceTable.parse(debian, Files.readString(debian), main);
            assertThat(dist.services()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("file", "line")
                    .containsExactlyElementsOf(table.services());
        }
    }

    @Test
    void ourMainCf() throws Exception {
        MainConfig main = MainConfig.parse(ETC.resolve("main.cf"), resource("main.cf"), ETC, Map.of());
        assertThat(main.warnings()).isEmpty();
        assertThat(main.get("smtpd_banner")).isEqualTo("mail.example.org ESMTP Postfix");
        assertThat(main.get("myorigin")).isEqualTo("example.org");
        assertThat(main.get("debugger_command")).isEqualTo("PATH=/bin:/usr/bin:/usr/local/bin\t ddd "
                + "/usr/lib/postfix/sbin/master " + ProcessHandle.current().pid() + " & sleep 5");
        assertThat(main.getInt("default_process_limit")).isEqualTo(50);
        assertThat(main.getTimeSeconds("service_throttle_time")).isEqualTo(30);
        assertThat(main.getTimeSeconds("max_idle")).isEqualTo(120);
        assertThat(main.getList("import_environment"))
                .containsExactly("MAIL_CONFIG", "MAIL_DEBUG", "MAIL_LOGTAG", "TZ", "LANG=C", "SSL_CERT_DIR = /etc/ssl/certs");
        assertThat(main.get("smtputf8_enable")).isEqualTo("yes");
        assertThat(main.getList("inet_interfaces")).containsExactly("loopback-only");
        assertThat(main.inetProtocols()).isEqualTo(new InetProtocols(true, true));
    }

    @Test
    void protocolDocExamples() throws Exception {
        MainConfig main = MainConfig.parse(ETC.resolve("main.cf"),
                "compatibility_level = 3.12\ninet_interfaces = loopback-only\ndefault_process_limit = 4\n", ETC, Map.of());
        ServiceTable table = ServiceTable.parse(ETC.resolve("master.cf"), resource("protocol-doc-examples.master.cf"), main);
        assertThat(table.warnings()).isEmpty();
        Map<String, ServiceEntry> byName = table.services().stream()
                .collect(Collectors.toMap(ServiceEntry::extName, e -> e));
        // loopback-only with IPv4 and IPv6: two sockets, all loopback, so no stress argument
        assertThat(String.join(" ", byName.get("20026").childArgv(false, false, 2, false, false)))
                .isEqualTo("fake -n 20026 -t inet -u -s 2 mode=serve");
        assertThat(String.join(" ", byName.get("w1").childArgv(false, false, 1, false, false)))
                .isEqualTo("fake -l -n w1 -t unix -u mode=trigger");
        assertThat(String.join(" ", byName.get("privsvc").childArgv(false, false, 1, false, false)))
                .isEqualTo("fake -z -n privsvc -t unix -c mode=serve");
        ServiceEntry pst = byName.get("pst");
        assertThat(pst.name()).isEqualTo("public/pst");
        assertThat(String.join(" ", pst.childArgv(false, false, 1, pst.stressEligible(false), false)))
                .isEqualTo("fake -n pst -t pass -u -o stress= mode=slow");
        assertThat(String.join(" ", byName.get("newsvc").childArgv(true, true, 1, false, false)))
                .isEqualTo("fake -l -n newsvc -t unix -d -v -u mode=serve");
        ServiceEntry v2 = byName.get("127.0.0.1:20025");
        assertThat(v2.name()).isEqualTo("[127.0.0.1]:20025");
        assertThat(v2.maxProc()).isEqualTo(4);
        assertThat(v2.childArgv(false, false, 1, false, false)).containsExactly(
                "fake", "-n", "127.0.0.1:20025", "-t", "inet", "-u", "-o", "foo = bar baz", "spaced arg");
        ServiceEntry wc = byName.get("wc");
        assertThat(wc.wakeupSeconds()).isEqualTo(5);
        assertThat(wc.conditionalWakeup()).isTrue();
        assertThat(byName.get("fifo1").name()).isEqualTo("public/fifo1");
        assertThat(byName.get("dg1").type()).isEqualTo(ServiceType.UNIX_DGRAM);
        assertThat(byName.get("[::1]:20031").name()).isEqualTo("[::1]:20031");
        assertThat(byName.get("[::1]:20031").inetHost()).isEqualTo("::1");
    }
}
