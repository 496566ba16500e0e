package io.meridian.support.tx;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Runs work after the surrounding transaction commits (at once when there is none): events go out only for committed changes. */
public final class AfterCommit {

    private AfterCommit() {
    }

    /** Runs {@code work} after the current transaction commits, or now without one. */
    public static void run(Runnable work) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            work.run();
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                work.run();
            }
        });
    }
}
