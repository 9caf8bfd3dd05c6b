DELETE FROM "SEED"."SYNCDATA" WHERE "SEED"."SYNCDATA"."SYDUSR_0" = :"user" AND (EXISTS (SELECT * 
FROM "FSY".fsylog 
WHERE "FSY".fsylog.runid = :run AND "FSY".fsylog.newsydnum = "SEED"."SYNCDATA"."SYDNUM_0"))
