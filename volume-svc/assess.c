/* placeholder while vol-read is written */
