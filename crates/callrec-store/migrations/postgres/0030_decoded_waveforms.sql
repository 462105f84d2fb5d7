-- MP3 and Ogg files now get waveforms too (decoded): those saved as
-- having none are forgotten, so the waveform job draws them.
DELETE FROM audio_peaks
WHERE peaks = ''
  AND storage_key IN (
    SELECT storage_key FROM recordings WHERE format <> 'wav'
    UNION
    SELECT storage_key FROM deleted_recordings WHERE format <> 'wav'
  );
