package io.meridian.backup.config;

import java.lang.management.ManagementFactory;
import java.util.concurrent.Executor;

import javax.sql.DataSource;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

import io.meridian.support.region.RegionDirectory;
import net.javacrumbs.shedlock.core.DefaultLockingTaskExecutor;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.LockingTaskExecutor;
import net.javacrumbs.shedlock.provider.jdbctemplate.JdbcTemplateLockProvider;

/** Executors for runs and restores, and the scheduler lease (ShedLock on the control-plane database, database time). */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
class BackupConfiguration {

    @Bean
    LockProvider backupLockProvider(DataSource dataSource, BackupProperties properties) {
        String owner = properties.instanceName() != null ? properties.instanceName() : ManagementFactory.getRuntimeMXBean().getName();
        return new JdbcTemplateLockProvider(JdbcTemplateLockProvider.Configuration.builder().withJdbcTemplate(new JdbcTemplate(dataSource))
                .withTableName("shedlock").usingDbTime().withLockedByValue(owner).build());
    }

    @Bean
    LockingTaskExecutor backupLockingTaskExecutor(LockProvider backupLockProvider) {
        return new DefaultLockingTaskExecutor(backupLockProvider);
    }

    /** The region registry, rebuilt from region-service's compacted topic (see {@code topology.RegionEventsListener}). */
    @Bean
    RegionDirectory regionDirectory() {
        return new RegionDirectory();
    }

    @Bean
    @Qualifier("backupExecutor")
    Executor backupExecutor() {
        return executor("backup-run-", 2);
    }

    @Bean
    @Qualifier("restoreExecutor")
    Executor restoreExecutor() {
        return executor("restore-", 2);
    }

    private static ThreadPoolTaskExecutor executor(String prefix, int threads) {
        ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
        executor.setCorePoolSize(threads);
        executor.setMaxPoolSize(threads);
        executor.setQueueCapacity(1000);
        executor.setThreadNamePrefix(prefix);
        executor.setWaitForTasksToCompleteOnShutdown(false);
        executor.initialize();
        return executor;
    }
}
