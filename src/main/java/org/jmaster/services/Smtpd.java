package org.jmaster.services;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.jmaster.nativ.Users;
import org.jmaster.server.Client;
import org.jmaster.server.ServerContext;
import org.jmaster.server.ServerFatal;
import org.jmaster.server.SingleServer;
import org.jmaster.server.SingleService;

/**
 * {@code smtpd}: the bundled SMTP receiver, a single-server service that stores every accepted
 * message in the Maildir {@code smtpd_maildir}. Before the jail it creates the Maildir (and gives
 * what it created to {@code mail_owner} when it will drop to it); after, it checks that it can
 * write there, so a wrong setting is a fatal error at start, not a 451 per message. The protocol is
 * {@link SmtpSession}'s.
 */
public final class Smtpd implements SingleService {
    private SmtpdSettings settings;
    private Maildir maildir;

    public static void main(String[] args) {
        SingleServer.main("smtpd", args, new Smtpd());
    }

    @Override
    public Map<String, String> parameterDefaults() {
        return SmtpdSettings.DEFAULTS;
    }

    @Override
    public void preJailInit(ServerContext ctx) throws IOException {
        Path local = ctx.localPath("smtpd_maildir", ctx.parameter("smtpd_maildir"));
        int uid = ctx.dropsTo().map(Users.Passwd::uid).orElse(-1);
        int gid = ctx.dropsTo().map(Users.Passwd::gid).orElse(-1);
        try {
            Maildir.create(local, uid, gid);
        } catch (IOException e) {
            throw new ServerFatal("smtpd_maildir " + ctx.parameter("smtpd_maildir") + ": " + e);
        }
        maildir = new Maildir(local, ctx.hostname());
    }

    @Override
    public void postJailInit(ServerContext ctx) {
        settings = SmtpdSettings.read(ctx);
        String problem = maildir.problem();
        if (problem != null) {
            throw new ServerFatal("smtpd_maildir " + ctx.parameter("smtpd_maildir") + ": " + problem);
        }
    }

    @Override
    public void serve(Client client, ServerContext ctx) throws IOException {
        client.setWriteTimeout(settings.commandTimeoutMs());
        new SmtpSession(client, settings, maildir).run();
    }
}
