SELECT adoval.param, adoval.lev, adoval.levkey, adoval.valeur 
FROM (SELECT "SEED"."ADOVALAUS"."PARAM_0" AS param, :param_1 AS lev, "SEED"."ADOVALAUS"."CODUSR_0" AS levkey, CASE WHEN (coalesce(LENGTH(trim("SEED"."ADOVALAUS"."VALEUR_0")), :coalesce_1) = :coalesce_2) THEN NULL ELSE "SEED"."ADOVALAUS"."VALEUR_0" END AS valeur 
FROM "SEED"."ADOVALAUS" UNION ALL SELECT "SEED"."ADOVAL"."PARAM_0" AS param, "SEED"."ADOVAL"."LEV_0" AS lev, CASE WHEN (coalesce(LENGTH(trim("SEED"."ADOVAL"."LEVKEY_0")), :coalesce_3) = :coalesce_4) THEN NULL ELSE "SEED"."ADOVAL"."LEVKEY_0" END AS levkey, CASE WHEN (coalesce(LENGTH(trim("SEED"."ADOVAL"."VALEUR_0")), :coalesce_5) = :coalesce_6) THEN NULL ELSE "SEED"."ADOVAL"."VALEUR_0" END AS valeur 
FROM "SEED"."ADOVAL" 
WHERE "SEED"."ADOVAL"."LEV_0" != :lev_1) adoval
