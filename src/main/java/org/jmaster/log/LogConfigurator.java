package org.jmaster.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's start-up hook (found through {@code META-INF/services}): installs the one Postfix-style
 * appender instead of letting Logback look for XML files. Until {@link MasterLog#configure} runs,
 * lines go to standard error.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PostfixAppender appender = new PostfixAppender();
        appender.setContext(context);
        appender.setName("postfix");
        appender.replaceSinks(java.util.List.of(new StderrSink()));
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(appender);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
