package io.meridian.backup.catalog;

import java.util.UUID;

/**
 * Told on the worker's thread before a backup run or a restore enters a phase (after the phase is
 * recorded), or a step within one ({@code UPLOADING} once the upload is recorded,
 * {@code RESTORE_TEST_COMPARING} once the scratch database is restored). The tests use it to hold a worker mid-way, as if its instance had frozen or died there.
 */
public interface PhaseListener {

    /**
     * @param operation {@code backup} or {@code restore}
     * @param id        the backup or restore id
     * @param phase     the phase being entered
     */
    void entering(String operation, UUID id, String phase);
}
