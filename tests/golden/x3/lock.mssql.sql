EXEC sp_getapplock @Resource = :lock_resource, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = :lock_wait
